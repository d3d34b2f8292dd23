from .gray_to_rgb import GrayToRGB
from .load_image_with_check import LoadImageWithCheck

__all__ = ['GrayToRGB', 'LoadImageWithCheck']
