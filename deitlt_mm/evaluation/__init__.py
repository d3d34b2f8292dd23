from .long_tail_accuracy import LongTailAccuracy
from .report import format_long_tail_table

__all__ = ['LongTailAccuracy', 'format_long_tail_table']
