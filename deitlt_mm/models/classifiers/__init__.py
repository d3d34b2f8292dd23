from .distill_classifier import DistillClassifier

__all__ = ['DistillClassifier']
