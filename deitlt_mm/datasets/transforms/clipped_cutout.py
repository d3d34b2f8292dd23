"""Cutout as in DeVries & Taylor (2017): a square around a random pixel, clipped at the border."""
from typing import Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS


@TRANSFORMS.register_module()
class ClippedCutout(BaseTransform):
    """Fill ``num_holes`` squares of side ``length`` with ``pad_val``.

    Each square is centred on a pixel ``(y, x)`` drawn uniformly from the image
    and covers rows ``[y - length // 2, y + length // 2)`` and the same columns,
    clipped to the image, so squares near the border are smaller. This is the
    Cutout of the CIFAR recipes (DeVries & Taylor's code, used by PaCo's CIFAR
    pipeline after ``ToTensor``, where the fill 0 is black); mmpretrain's
    ``Cutout`` instead shifts squares at the top / left border inside the image.

    Args:
        length (int): side of the square in pixels.
        num_holes (int): squares per image. Defaults to 1.
        pad_val (int | Sequence[int]): fill value (per channel). Defaults to 0.

    Reads and writes ``results['img']`` (``[H, W]`` or ``[H, W, C]``).
    """

    def __init__(self, length: int, num_holes: int = 1,
                 pad_val: Union[int, Sequence[int]] = 0):
        if length <= 0 or num_holes <= 0:
            raise ValueError(f'ClippedCutout: length and num_holes must be > 0, got '
                             f'length={length}, num_holes={num_holes}.')
        self.length = length
        self.num_holes = num_holes
        self.pad_val = pad_val

    def transform(self, results: dict) -> dict:
        img = results['img'].copy()
        height, width = img.shape[:2]
        half = self.length // 2
        for _ in range(self.num_holes):
            y, x = np.random.randint(height), np.random.randint(width)
            img[max(y - half, 0):min(y + half, height),
                max(x - half, 0):min(x + half, width)] = self.pad_val
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(length={self.length}, num_holes={self.num_holes}, '
                f'pad_val={self.pad_val})')
