"""Trained models from config + checkpoint, and inference on image files."""
from .inferencer import DeiTLTInferencer, format_predictions
from .model import init_model, student_model_cfg
from .publish import export_timm_checkpoint, publish_checkpoint

__all__ = [
    'DeiTLTInferencer', 'export_timm_checkpoint', 'format_predictions', 'init_model',
    'publish_checkpoint', 'student_model_cfg'
]
