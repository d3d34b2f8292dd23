from .long_tail_accuracy import LongTailAccuracy
from .report import format_comparison_table, format_long_tail_table, format_metrics
from .results import LongTailResults, PredictionAccuracy, load_long_tail_results, to_jsonable

__all__ = ['LongTailAccuracy', 'LongTailResults', 'PredictionAccuracy',
           'format_comparison_table', 'format_long_tail_table', 'format_metrics',
           'load_long_tail_results', 'to_jsonable']
