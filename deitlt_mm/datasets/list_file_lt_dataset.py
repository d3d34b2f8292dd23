"""Long-tailed datasets given as list files (ImageNet-LT, iNaturalist-2018)."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

from ..errors import DataFileNotFoundError
from ..registry import DATASETS
from .class_map import build_class_map, class_order, load_class_map, save_class_map


def read_list_file(path: str, missing_message: str = '') -> List[Tuple[str, int, int]]:
    """Parse ``relative/path.jpg label`` lines.

    Args:
        path (str): the list file.
        missing_message (str): the error message when it does not exist (default
            ``List file <path> not found.``); datasets say where their lists come from.

    Returns:
        list[tuple]: ``(relative_path, label, line_number)``; blank lines are skipped.

    Raises:
        DataFileNotFoundError: the list file does not exist.
        ValueError: a line without exactly two fields or with a non-integer label,
            naming the file and the line number.
    """
    if not osp.isfile(path):
        raise DataFileNotFoundError(missing_message or f'List file {path} not found.')
    entries = []
    with open(path, encoding='utf-8') as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2:
                raise ValueError(
                    f'{path}, line {line_no}: expected "relative/path.jpg label", '
                    f'got {line.rstrip()!r}')
            try:
                label = int(fields[1])
            except ValueError:
                raise ValueError(
                    f'{path}, line {line_no}: label {fields[1]!r} is not an integer') from None
            entries.append((fields[0], label, line_no))
    return entries


@DATASETS.register_module()
class ListFileLTDataset(BaseDataset):
    """Images listed in a text file, labels re-indexed by training frequency.

    The class map follows the reference: counts of the *training* list,
    ``order = argsort(-counts)`` with numpy 1.24 tie order, ``map[order[i]] = i``
    (most frequent class -> 0). The evaluation lists use the training map. The map
    is computed from ``train_ann_file`` or loaded from ``class_map_file`` (JSON
    written by :meth:`save_class_map`), which pins it to the published one.

    Args:
        ann_file (str): the list of this split, ``relative/path.jpg label`` per line
            (relative to ``data_root`` like every mmengine ``ann_file``).
        train_ann_file (str, optional): the training list the map is computed from;
            defaults to ``ann_file`` (i.e. this is the training split).
        class_map_file (str, optional): JSON map to load instead of computing it.
        num_classes (int, optional): C; training labels must lie in ``[0, C)``.
            Defaults to ``max(train label) + 1``.
        data_prefix (str | dict): image root, relative to ``data_root``.
        check_files (bool): check that every listed image exists at load time.
        class_names (Sequence[str], optional): names by *original* label; default
            ``class_{original label}``.

    Each item before the pipeline is ``dict(img_path=str, gt_label=int)`` (load it
    with ``LoadImageWithCheck``). Attributes: ``class_map`` (original -> new),
    ``train_counts_original`` (training counts by original label, the basis of the
    map); ``metainfo['classes']`` in new order.
    """

    def __init__(self,
                 ann_file: str,
                 train_ann_file: Optional[str] = None,
                 class_map_file: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 data_root: str = '',
                 data_prefix: str = '',
                 check_files: bool = True,
                 class_names: Optional[Sequence[str]] = None,
                 **kwargs):
        self.train_ann_file = train_ann_file
        self.class_map_file = class_map_file
        self.num_classes = num_classes
        self.check_files = check_files
        self.class_names = class_names
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def _join_root(self, path: str) -> str:
        return path if not self.data_root or osp.isabs(path) else osp.join(self.data_root, path)

    @property
    def train_list_path(self) -> str:
        """The training list the class map is computed from (``data_root`` joined)."""
        return self._join_root(self.train_ann_file) if self.train_ann_file else self.ann_file

    def missing_list_message(self, path: str) -> str:
        """The error message for a list file that does not exist."""
        return f'List file {path} not found.'

    def read_list(self, path: str) -> List[Tuple[str, int, int]]:
        """:func:`read_list_file` with this dataset's message for a missing list."""
        return read_list_file(path, self.missing_list_message(path))

    def _training_counts(self) -> np.ndarray:
        """Training counts by original label, with range checks on the training list."""
        train_file = self.train_list_path
        entries = self.read_list(train_file)
        if not entries:
            raise ValueError(f'Training list {train_file} has no entries.')
        num_classes = self.num_classes or max(label for _, label, _ in entries) + 1
        for _, label, line_no in entries:
            if not 0 <= label < num_classes:
                raise ValueError(
                    f'{train_file}, line {line_no}: label {label} is outside '
                    f'[0, {num_classes}) (num_classes={num_classes})')
        return np.bincount([label for _, label, _ in entries],
                           minlength=num_classes).astype(np.int64)

    def _load_class_map(self) -> Tuple[Dict[int, int], np.ndarray]:
        if self.class_map_file:
            class_map, counts = load_class_map(self._join_root(self.class_map_file))
            if self.num_classes and len(counts) != self.num_classes:
                raise ValueError(
                    f'Class map file {self.class_map_file} has {len(counts)} classes, '
                    f'num_classes is {self.num_classes}.')
            return class_map, counts
        counts = self._training_counts()
        return build_class_map(counts), counts

    def load_data_list(self) -> List[dict]:
        self.class_map, self.train_counts_original = self._load_class_map()
        num_classes = len(self.class_map)
        order = class_order(self.class_map, self.class_map_file or 'training list')

        names = self.class_names or [f'class_{i}' for i in range(num_classes)]
        if len(names) != num_classes:
            raise ValueError(f'class_names has {len(names)} names, the map has {num_classes} '
                             'classes.')
        self._metainfo['classes'] = tuple(names[i] for i in order)

        data_list = []
        for rel_path, label, line_no in self.read_list(self.ann_file):
            if label not in self.class_map:
                raise ValueError(
                    f'{self.ann_file}, line {line_no}: label {label} is not in the training '
                    f'class map (classes 0..{num_classes - 1}).')
            img_path = osp.join(self.img_prefix, rel_path)
            if self.check_files and not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'{self.ann_file}, line {line_no}: image {img_path} does not exist.')
            data_list.append(dict(img_path=img_path, gt_label=self.class_map[label]))
        return data_list

    def save_class_map(self, path: str) -> None:
        """Write the class map and training counts as JSON (see ``class_map_file``)."""
        save_class_map(path, self.class_map, self.train_counts_original)
