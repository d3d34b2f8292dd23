from .distill_classifier import DistillClassifier
from .paco_classifier import PaCoClassifier

__all__ = ['DistillClassifier', 'PaCoClassifier']
