"""Trained models from config + checkpoint, and inference on image files."""
from .inferencer import DeiTLTInferencer, format_predictions
from .model import init_model, score_without_missing_teacher, student_model_cfg

__all__ = ['DeiTLTInferencer', 'format_predictions', 'init_model',
           'score_without_missing_teacher', 'student_model_cfg']
