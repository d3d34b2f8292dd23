"""Fashion-MNIST-LT read offline from the official IDX files."""
import gzip
import os.path as osp
from typing import Callable, Tuple

import numpy as np
from mmpretrain.datasets.categories import FASHIONMNIST_CATEGORITES

from ..registry import DATASETS
from .long_tail import LongTailDataset

_IDX_UINT8 = 0x08


def read_idx(path: str) -> np.ndarray:
    """Read an IDX file (``.gz`` or raw) holding ``uint8`` data.

    The header is two zero bytes, the type byte (0x08 = uint8), the number of
    dimensions, then one big-endian int32 per dimension.

    Returns:
        np.ndarray: ``uint8`` array of the stored shape (e.g. N x 28 x 28, or N).
    """
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UINT8:
        raise ValueError(f'{path}: not a uint8 IDX file (header {raw[:4]!r}).')
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype='>i4', count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f'{path}: header says shape {shape}, found {data.size} values.')
    return data.reshape(shape)


@DATASETS.register_module()
class FashionMNISTLT(LongTailDataset):
    """Fashion-MNIST with a long-tailed training split, no network needed.

    Reads ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (``.gz`` or not) from
    ``data_root`` (Debian: ``apt-get install dataset-fashion-mnist`` puts the
    ``.gz`` files in ``/usr/share/datasets/fashion-mnist``). The training split is
    subsampled with the CIFAR-LT rule (exp, IF100 by default, seed 0); the test
    split is the full balanced 10,000 images (the long-tail arguments do not apply to
    it). Class 0 (T-shirt/top) is the most frequent class.

    Args:
        data_root (str): folder of the IDX files.
        split (str): ``'train'`` (long-tailed) or ``'test'`` (balanced).
        imb_type (str): ``'exp'`` or ``'step'``.
        imb_factor (float): tail / head ratio.
        seed (int): seed of the per-class shuffle.

    Items before the pipeline are ``dict(img=28x28 uint8 grey, gt_label=int)``;
    add ``GrayToRGB`` to the pipeline for 3-channel models.
    """

    METAINFO = {'classes': FASHIONMNIST_CATEGORITES}
    files = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
             'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}

    def __init__(self,
                 data_root: str = '/usr/share/datasets/fashion-mnist',
                 split: str = 'train',
                 imb_type: str = 'exp',
                 imb_factor: float = 0.01,
                 seed: int = 0,
                 **kwargs):
        if split not in self.files:
            raise ValueError(f'FashionMNISTLT: split must be one of {tuple(self.files)}, '
                             f'got {split!r}')
        self.split = split
        super().__init__(imb_type=imb_type, imb_factor=imb_factor, seed=seed,
                         long_tail=split == 'train', ann_file='', data_root=data_root,
                         **kwargs)

    def _find(self, stem: str) -> str:
        for name in (stem + '.gz', stem):
            path = osp.join(self.data_root, name)
            if osp.isfile(path):
                return path
        raise FileNotFoundError(
            f'FashionMNISTLT: {stem}[.gz] not found in {self.data_root}. Install the '
            'Debian package (apt-get install dataset-fashion-mnist, files land in '
            '/usr/share/datasets/fashion-mnist) or set data_root to a folder with the '
            'official IDX files.')

    def _read_split(self, split: str) -> Tuple[np.ndarray, np.ndarray]:
        image_file, label_file = (self._find(stem) for stem in self.files[split])
        images, labels = read_idx(image_file), read_idx(label_file).astype(np.int64)
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f'{image_file} / {label_file}: expected N x H x W images and N '
                             f'labels, got {images.shape} and {labels.shape}.')
        return images, labels

    def load_balanced(self) -> Tuple[np.ndarray, Callable[[int], dict]]:
        images, labels = self._read_split(self.split)
        return labels, lambda index: dict(img=images[index])
