from .cifar10_lt import CIFAR10LT
from .cifar100_lt import CIFAR100LT
from .random_image_dataset import RandomImageDataset
from .utils import get_class_counts

__all__ = ['CIFAR10LT', 'CIFAR100LT', 'RandomImageDataset', 'get_class_counts']
