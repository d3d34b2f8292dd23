from .cifar10_lt import CIFAR10LT
from .cifar100_lt import CIFAR100LT
from .fashion_mnist_lt import FashionMNISTLT
from .imagenet_lt import ImageNetLT
from .inaturalist2018 import INaturalist2018
from .list_file_lt_dataset import ListFileLTDataset
from .long_tail_subset import LongTailSubset
from .random_image_dataset import RandomImageDataset
from .stack_collate import stack_collate
from .transforms import (
    CIFAR10AutoAugment,
    ClippedCutout,
    GrayToRGB,
    LoadImageWithCheck,
    TimmRandAugment,
)
from .utils import get_class_counts

__all__ = ['CIFAR10AutoAugment', 'CIFAR10LT', 'CIFAR100LT', 'ClippedCutout', 'FashionMNISTLT',
           'GrayToRGB', 'ImageNetLT', 'INaturalist2018', 'ListFileLTDataset',
           'LoadImageWithCheck', 'LongTailSubset', 'RandomImageDataset', 'TimmRandAugment',
           'get_class_counts', 'stack_collate']
