from .cifar10_auto_augment import CIFAR10AutoAugment
from .clipped_cutout import ClippedCutout
from .gray_to_rgb import GrayToRGB
from .load_image_with_check import LoadImageWithCheck
from .timm_rand_augment import TimmRandAugment

__all__ = [
    'CIFAR10AutoAugment', 'ClippedCutout', 'GrayToRGB', 'LoadImageWithCheck', 'TimmRandAugment'
]
