from .class_balanced import DRWClassWeightedLoss, effective_number_weights
from .drw_cross_entropy_loss import DRWCrossEntropyLoss
from .drw_distill_loss import DRWDistillLoss
from .ldam_loss import LDAMLoss
from .paco_loss import PaCoLoss

__all__ = [
    'DRWClassWeightedLoss', 'DRWCrossEntropyLoss', 'DRWDistillLoss', 'LDAMLoss', 'PaCoLoss',
    'effective_number_weights'
]
