"""CIFAR-10-LT: the long-tailed CIFAR-10 training set of the LDAM / DeiT-LT papers."""
import os.path as osp
import pickle
from typing import Callable, List, Tuple

import mmengine.dist as dist
import numpy as np
from mmpretrain.datasets import CIFAR10
from mmpretrain.datasets.utils import download_and_extract_archive

from ..registry import DATASETS
from .long_tail import LongTailDataset


@DATASETS.register_module()
class CIFAR10LT(LongTailDataset, CIFAR10):
    """Long-tailed CIFAR-10 read from the python pickles (``cifar-10-batches-py/``).

    The training split keeps exactly the images the reference keeps (see
    :class:`~deitlt_mm.datasets.long_tail.LongTailDataset`): class ``i`` keeps
    ``int(n_max * imb_factor ** (i / (C - 1)))`` images (``exp``) chosen by a
    seed-0 shuffle per class in label order. Class 0 is already the most frequent
    one, so labels keep their CIFAR meaning. The test split is the full balanced
    test set (the long-tail arguments do not apply to it).

    Unlike mmpretrain's ``CIFAR10`` nothing is downloaded unless ``download=True``,
    and files are checked for presence only (no md5), so re-packed or synthetic
    pickles of the same format load too.

    Args:
        data_root (str): folder that contains ``cifar-10-batches-py/``.
        split (str): ``'train'`` (long-tailed) or ``'test'`` (balanced).
        imb_type (str): ``'exp'`` or ``'step'``.
        imb_factor (float): tail / head ratio (0.01 = IF100, 0.02 = IF50).
        seed (int): seed of the per-class shuffle (0 in the reference).
        download (bool): fetch the archive from the official URL when files are missing.

    Each item before the pipeline is ``dict(img=HxWx3 uint8 RGB, gt_label=int)``.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 imb_type: str = 'exp',
                 imb_factor: float = 0.01,
                 seed: int = 0,
                 download: bool = False,
                 **kwargs):
        super().__init__(imb_type=imb_type, imb_factor=imb_factor, seed=seed,
                         long_tail=split == 'train', data_root=data_root, split=split,
                         download=download, **kwargs)

    def _expected_files(self) -> List[str]:
        folder = osp.join(self.data_prefix['root'], self.base_folder)
        return [osp.join(folder, name) for name, _ in self.train_list + self.test_list]

    def _ensure_files(self) -> None:
        """Download when asked, else fail once with the expected location."""
        missing = [f for f in self._expected_files() if not osp.isfile(f)]
        if missing and self.download and dist.is_main_process():
            download_and_extract_archive(
                self.url, self.data_prefix['root'], filename=self.filename, md5=self.tgz_md5)
        dist.barrier()
        missing = [f for f in self._expected_files() if not osp.isfile(f)]
        if missing:
            folder = osp.join(self.data_prefix['root'], self.base_folder)
            names = ', '.join(osp.basename(f) for f in missing)
            raise FileNotFoundError(
                f'{type(self).__name__}: dataset files missing in {folder} ({names}). '
                f'Extract {self.filename} ({self.url}) into {self.data_prefix["root"]} '
                'or set download=True in the dataset config.')

    def _read_batches(self, names) -> Tuple[np.ndarray, np.ndarray]:
        """Images (N x 32 x 32 x 3 RGB) and labels of the named pickle files."""
        images, labels = [], []
        folder = osp.join(self.data_prefix['root'], self.base_folder)
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                entry = pickle.load(f, encoding='latin1')
            key = 'labels' if 'labels' in entry else 'fine_labels'
            if 'data' not in entry or key not in entry:
                raise ValueError(
                    f'{path}: expected a CIFAR pickle with keys "data" and "labels" '
                    f'or "fine_labels", got {sorted(entry)}')
            images.append(np.asarray(entry['data'], dtype=np.uint8))
            labels.extend(entry[key])
        images = np.vstack(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, np.asarray(labels, dtype=np.int64)

    def load_balanced(self) -> Tuple[np.ndarray, Callable[[int], dict]]:
        self._ensure_files()
        files = self.train_list if self.split == 'train' else self.test_list
        images, labels = self._read_batches([name for name, _ in files])
        return labels, lambda index: dict(img=images[index])
