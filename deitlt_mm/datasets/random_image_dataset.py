"""A seeded in-memory image dataset for smoke tests and the tiny built-in config."""
from typing import Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

from ..registry import DATASETS


@DATASETS.register_module()
class RandomImageDataset(BaseDataset):
    """Deterministic random RGB images whose class is visible in the colour.

    Each class ``c`` has its own mean colour; images are that colour plus
    uniform noise, so a model can learn the task in a few iterations. Nothing
    is read from disk, which makes it the data of the smoke-test config and of
    tests that exercise the Runner.

    Args:
        class_counts (Sequence[int]): images per class, e.g. ``[20, 8, 3]`` for
            a small long-tailed set. ``len(class_counts)`` is the class count.
        img_size (int): height and width of the ``uint8`` HxWx3 images.
        seed (int): seed of the images (same seed, same data).
        pipeline (Sequence[dict]): mmpretrain transforms; results start as
            ``dict(img=HxWx3 uint8, img_shape=(H, W), ori_shape=(H, W), gt_label=int)``.
    """

    def __init__(self,
                 class_counts: Sequence[int] = (24, 12, 6, 3),
                 img_size: int = 32,
                 seed: int = 0,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 metainfo: Optional[dict] = None,
                 **kwargs):
        counts = [int(c) for c in class_counts]
        if not counts or min(counts) < 0:
            raise ValueError(
                f'RandomImageDataset: class_counts must be non-negative ints, got {class_counts}')
        self.num_per_class = np.asarray(counts, dtype=np.int64)
        self.img_size = int(img_size)
        self.seed = int(seed)
        if metainfo is None:
            metainfo = dict(classes=tuple(f'class_{i}' for i in range(len(counts))))
        super().__init__(
            ann_file='', metainfo=metainfo, data_root='', pipeline=list(pipeline),
            test_mode=test_mode, **kwargs)

    def load_data_list(self):
        rng = np.random.default_rng(self.seed)
        num_classes = len(self.num_per_class)
        colours = rng.uniform(40, 215, size=(num_classes, 3))
        data_list = []
        size = self.img_size
        for label, count in enumerate(self.num_per_class):
            for _ in range(count):
                noise = rng.uniform(-40, 40, size=(size, size, 3))
                img = np.clip(colours[label] + noise, 0, 255).astype(np.uint8)
                data_list.append(
                    dict(img=img, img_shape=(size, size), ori_shape=(size, size),
                         gt_label=int(label)))
        return data_list
