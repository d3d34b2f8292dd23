"""The long-tail subsampling rule of CIFAR-LT and the one dataset base that applies it.

:class:`LongTailDataset` is the only place the rule is applied; :class:`CIFAR10LT`,
:class:`CIFAR100LT`, :class:`FashionMNISTLT` and the generic :class:`LongTailSubset`
wrapper only say where their balanced images come from, so all of them keep exactly
the images the reference procedure keeps.
"""
from typing import Callable, List, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

IMB_TYPES = ('exp', 'step')


def check_profile(imb_type: str, imb_factor: float) -> None:
    """Raise a ValueError naming the bad value unless ``imb_type`` / ``imb_factor`` are valid."""
    if imb_type not in IMB_TYPES:
        raise ValueError(f'imb_type must be one of {IMB_TYPES}, got {imb_type!r}')
    if not 0 < imb_factor <= 1:
        raise ValueError(f'imb_factor must be in (0, 1], got {imb_factor}')


def long_tail_class_counts(n_max: float, num_classes: int, imb_type: str,
                           imb_factor: float) -> List[int]:
    """Images kept per class (label order) by the CIFAR-LT profile.

    Args:
        n_max (float): images of the most frequent class (the balanced per-class size).
        num_classes (int): C, at least 2.
        imb_type (str): ``'exp'``: class ``i`` keeps
            ``int(n_max * imb_factor ** (i / (C - 1)))``; ``'step'``: the first
            ``C // 2`` classes keep ``int(n_max)``, the others
            ``int(n_max * imb_factor)``.
        imb_factor (float): tail / head ratio, e.g. 0.01 for "IF100".

    Returns:
        list[int]: C per-class targets.
    """
    check_profile(imb_type, imb_factor)
    if num_classes < 2:
        raise ValueError(f'A long-tailed profile needs at least 2 classes, got {num_classes}')
    if imb_type == 'exp':
        return [int(n_max * imb_factor ** (i / (num_classes - 1.0)))
                for i in range(num_classes)]
    head = num_classes // 2
    return [int(n_max)] * head + [int(n_max * imb_factor)] * (num_classes - head)


def select_long_tail_indices(labels: Sequence[int], num_per_class: Sequence[int],
                             seed: int = 0) -> np.ndarray:
    """Indices of the images the reference's LT procedure keeps, in its order.

    The reference calls ``np.random.seed(seed)`` once, then for each class ``c``
    in label order shuffles ``np.where(labels == c)[0]`` with the global generator
    and keeps the first ``num_per_class[c]``. A local ``RandomState(seed)`` draws
    the same stream without touching numpy's global state.

    Args:
        labels (Sequence[int]): label of every image of the balanced set.
        num_per_class (Sequence[int]): images to keep per class; a class with fewer
            images keeps all of them.
        seed (int): the seed of the procedure (0 in the reference).

    Returns:
        np.ndarray: ``int64`` indices into ``labels``, classes concatenated in
        label order.
    """
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.RandomState(seed)
    kept = []
    for cls, num in enumerate(num_per_class):
        idx = np.where(labels == cls)[0]
        rng.shuffle(idx)
        kept.append(idx[:num])
    return np.concatenate(kept).astype(np.int64) if kept else np.zeros(0, np.int64)


def long_tail_subset(labels: Sequence[int], num_classes: int, imb_type: str,
                     imb_factor: float, seed: int = 0) -> np.ndarray:
    """Apply the whole rule to a balanced label vector: profile, then selection.

    ``n_max`` is the size of the largest class (the balanced per-class size).
    """
    labels = np.asarray(labels, dtype=np.int64)
    n_max = np.bincount(labels, minlength=num_classes).max() if labels.size else 0
    counts = long_tail_class_counts(int(n_max), num_classes, imb_type, imb_factor)
    return select_long_tail_indices(labels, counts, seed)


class LongTailDataset(BaseDataset):
    """Base of the datasets made long-tailed by the CIFAR-LT rule (not registered).

    A subclass implements :meth:`load_balanced`, which returns the labels of its
    balanced source and a function giving the data info of a source index. With
    ``long_tail=True`` (a training split) :meth:`load_data_list` keeps the images
    :func:`long_tail_subset` selects, in its order; otherwise (an evaluation split)
    it keeps every image. Either way each data info gets its ``gt_label``.

    Class counts are not stored: :func:`~deitlt_mm.datasets.utils.get_class_counts`
    counts the labels of the training set wherever counts are needed.

    Args:
        imb_type (str): ``'exp'`` or ``'step'``.
        imb_factor (float): tail / head ratio (0.01 = IF100, 0.02 = IF50).
        seed (int): seed of the per-class shuffle (0 in the reference).
        long_tail (bool): apply the rule (training split) or keep every image.
        **kwargs: the base dataset's arguments (``data_root``, ``pipeline``, ...).
    """

    def __init__(self,
                 imb_type: str = 'exp',
                 imb_factor: float = 0.01,
                 seed: int = 0,
                 long_tail: bool = True,
                 **kwargs):
        check_profile(imb_type, float(imb_factor))  # before any file is read
        self.imb_type = imb_type
        self.imb_factor = float(imb_factor)
        self.seed = int(seed)
        self.long_tail = long_tail
        super().__init__(**kwargs)

    def load_balanced(self) -> Tuple[np.ndarray, Callable[[int], dict]]:
        """``(labels [N] int64, data_info)`` of the balanced source split, where
        ``data_info(i)`` is the data info of source item ``i`` without ``gt_label``."""
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        labels, data_info = self.load_balanced()
        if self.long_tail:
            indices = long_tail_subset(labels, len(self.metainfo['classes']), self.imb_type,
                                       self.imb_factor, self.seed)
        else:
            indices = np.arange(len(labels), dtype=np.int64)
        #: Indices into the balanced source of the kept items, in data-list order.
        self.source_indices = indices
        return [dict(data_info(int(i)), gt_label=int(labels[i])) for i in indices]

    def extra_repr(self) -> List[str]:
        body = super().extra_repr()
        if self.long_tail:
            body.append(f'Long tail: \t{self.imb_type}, imb_factor={self.imb_factor}, '
                        f'seed={self.seed}')
        else:
            body.append('Long tail: \tnone (every image of the split)')
        return body
