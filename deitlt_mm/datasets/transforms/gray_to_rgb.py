"""Grey images to 3 channels for RGB models."""
import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class GrayToRGB(BaseTransform):
    """Repeat a grey ``results['img']`` (HxW or HxWx1) into HxWx3.

    Images that already have 3 channels pass unchanged. Sets ``img_shape`` and, if
    absent, ``ori_shape`` (in-memory datasets such as Fashion-MNIST carry neither).
    """

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2:
            img = img[..., None]
        if img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
        elif img.shape[2] != 3:
            raise ValueError(f'GrayToRGB: expected 1 or 3 channels, got image shape {img.shape}')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results.setdefault('ori_shape', img.shape[:2])
        return results
