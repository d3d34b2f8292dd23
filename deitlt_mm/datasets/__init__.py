from .cifar10_lt import CIFAR10LT
from .cifar100_lt import CIFAR100LT
from .imagenet_lt import ImageNetLT
from .inaturalist2018 import INaturalist2018
from .list_file_lt_dataset import ListFileLTDataset
from .random_image_dataset import RandomImageDataset
from .transforms import LoadImageWithCheck
from .utils import get_class_counts

__all__ = ['CIFAR10LT', 'CIFAR100LT', 'ImageNetLT', 'INaturalist2018', 'ListFileLTDataset',
           'LoadImageWithCheck', 'RandomImageDataset', 'get_class_counts']
