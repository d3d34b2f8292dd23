from .class_balanced import effective_number_weights
from .drw_distill_loss import DRWDistillLoss

__all__ = ['DRWDistillLoss', 'effective_number_weights']
