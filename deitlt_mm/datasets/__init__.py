from .random_image_dataset import RandomImageDataset
from .utils import get_class_counts

__all__ = ['RandomImageDataset', 'get_class_counts']
