from .clipped_cutout import ClippedCutout
from .gray_to_rgb import GrayToRGB
from .load_image_with_check import LoadImageWithCheck

__all__ = ['ClippedCutout', 'GrayToRGB', 'LoadImageWithCheck']
