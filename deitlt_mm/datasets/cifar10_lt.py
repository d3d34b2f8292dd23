"""CIFAR-10-LT: the long-tailed CIFAR-10 training set of the LDAM / DeiT-LT papers."""
import os.path as osp
import pickle
import urllib.error
from typing import Callable, List, Optional, Tuple

import mmengine.dist as dist
import numpy as np
from mmengine.logging import print_log
from mmpretrain.datasets import CIFAR10
from mmpretrain.datasets.utils import calculate_md5
from torchvision.datasets.utils import download_url, extract_archive

from ..errors import ChecksumError, DataFileNotFoundError, DownloadError
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

    Files, as mmpretrain's ``CIFAR10`` and the reference (torchvision's, with
    ``download=True``) get them: missing files are downloaded from the official URL
    (the archive is kept in ``data_root``; in a distributed run rank 0 downloads while
    the other ranks wait at a barrier), then the md5 of the archive and of every
    pickle is checked, also of files already on disk, and a mismatch stops the build
    with one line naming the file. ``verify_md5=False`` accepts a re-packed or
    synthetic set of the same format.

    Args:
        data_root (str): folder that contains ``cifar-10-batches-py/``.
        split (str): ``'train'`` (long-tailed) or ``'test'`` (balanced).
        imb_type (str): ``'exp'`` or ``'step'``.
        imb_factor (float): tail / head ratio (0.01 = IF100, 0.02 = IF50).
        seed (int): seed of the per-class shuffle (0 in the reference).
        download (bool): fetch the archive when files are missing.
        verify_md5 (bool): check every file against the official md5.

    Each item before the pipeline is ``dict(img=HxWx3 uint8 RGB, gt_label=int)``.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 imb_type: str = 'exp',
                 imb_factor: float = 0.01,
                 seed: int = 0,
                 download: bool = True,
                 verify_md5: bool = True,
                 **kwargs):
        self.verify_md5 = verify_md5
        super().__init__(imb_type=imb_type, imb_factor=imb_factor, seed=seed,
                         long_tail=split == 'train', data_root=data_root, split=split,
                         download=download, **kwargs)

    @property
    def folder(self) -> str:
        """The folder of the pickles, ``data_root/base_folder``."""
        return osp.join(self.data_prefix['root'], self.base_folder)

    def missing_files(self) -> List[str]:
        """Paths of the set's pickles that do not exist."""
        paths = [osp.join(self.folder, name) for name, _ in self.train_list + self.test_list]
        return [path for path in paths if not osp.isfile(path)]

    def checksum_error(self, path: str, expected: str) -> Optional[ChecksumError]:
        """The error for ``path`` if its md5 is not ``expected``, else None."""
        found = calculate_md5(path)
        if found == expected:
            return None
        return ChecksumError(
            f'{type(self).__name__}: {path} has md5 {found}, expected {expected} (the official '
            f'{self.filename}); delete it to download it again, or set verify_md5=False in the '
            'dataset config to accept a re-packed set.')

    def checksum_errors(self) -> List[ChecksumError]:
        """One error per existing pickle whose md5 is not the official one (none when
        ``verify_md5=False``)."""
        if not self.verify_md5:
            return []
        errors = [self.checksum_error(osp.join(self.folder, name), md5)
                  for name, md5 in self.train_list + self.test_list
                  if osp.isfile(osp.join(self.folder, name))]
        return [error for error in errors if error is not None]

    def _download(self) -> None:
        """Fetch the archive (unless already in ``data_root``), check it, extract it."""
        root = self.data_prefix['root']
        archive = osp.join(root, self.filename)
        if not osp.isfile(archive):
            print_log(f'Downloading {self.url} to {archive}', logger='current')
        try:
            download_url(self.url, root, filename=self.filename)  # tqdm progress bar
        except (urllib.error.URLError, OSError) as error:
            raise DownloadError(
                f'{type(self).__name__}: could not download {self.url} to {archive} '
                f'({getattr(error, "reason", error)}); download it yourself and extract it into '
                f'{root}/, or check the network.') from error
        if self.verify_md5:
            error = self.checksum_error(archive, self.tgz_md5)
            if error is not None:
                raise error
        extract_archive(archive, root)

    def _prepare_files(self) -> None:
        """Download what is missing (rank 0), then check presence and md5 on every rank."""
        try:
            if dist.is_main_process() and self.download and self.missing_files():
                self._download()
        finally:
            dist.barrier()  # the other ranks wait for rank 0's download
        missing = self.missing_files()
        if missing:
            names = ', '.join(osp.basename(f) for f in missing)
            raise DataFileNotFoundError(
                f'{type(self).__name__}: dataset files missing in {self.folder} ({names}). '
                f'Extract {self.filename} ({self.url}) into {self.data_prefix["root"]} '
                'or set download=True in the dataset config.')
        errors = self.checksum_errors()
        if errors:
            raise errors[0]

    def _read_batches(self, names) -> Tuple[np.ndarray, np.ndarray]:
        """Images (N x 32 x 32 x 3 RGB) and labels of the named pickle files."""
        images, labels = [], []
        for name in names:
            path = osp.join(self.folder, name)
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
        self._prepare_files()
        files = self.train_list if self.split == 'train' else self.test_list
        images, labels = self._read_batches([name for name, _ in files])
        return labels, lambda index: dict(img=images[index])
