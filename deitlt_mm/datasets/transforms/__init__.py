from .load_image_with_check import LoadImageWithCheck

__all__ = ['LoadImageWithCheck']
