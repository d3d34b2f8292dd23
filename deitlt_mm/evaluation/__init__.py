from .long_tail_accuracy import LongTailAccuracy
from .report import format_comparison_table, format_long_tail_table
from .results import format_metrics, to_jsonable

__all__ = ['LongTailAccuracy', 'format_comparison_table', 'format_long_tail_table',
           'format_metrics', 'to_jsonable']
