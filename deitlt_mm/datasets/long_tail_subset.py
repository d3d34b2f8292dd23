"""Make any classification dataset long-tailed with the CIFAR-LT rule."""
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmpretrain.datasets import BaseDataset

from ..registry import DATASETS
from .long_tail import LongTailDataset


def _labels_of(dataset) -> np.ndarray:
    if hasattr(dataset, 'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    return np.asarray([dataset.get_cat_ids(i)[0] for i in range(len(dataset))], dtype=np.int64)


@DATASETS.register_module()
class LongTailSubset(LongTailDataset):
    """Long-tailed subset of a balanced classification dataset.

    The same rule as CIFAR-LT (:class:`~deitlt_mm.datasets.long_tail.LongTailDataset`):
    ``n_max`` = images of the largest class, class ``i`` keeps the ``exp`` / ``step``
    profile's count, chosen by a seed-``seed`` shuffle per class in label order.
    The wrapped dataset only provides data infos (``get_data_info``); the
    pipeline belongs to this wrapper, so give the inner dataset none.

    With ``reorder_by_frequency=True`` classes are re-indexed by decreasing kept
    count (stable order: ties keep label order, so an already monotone profile is
    unchanged), labels are remapped and ``metainfo['classes']`` re-ordered.

    An evaluation split needs this wrapper only for that re-indexing: pass
    ``train_dataset`` (with ``reorder_by_frequency=True``) and ``dataset`` is kept
    whole, its labels mapped to the class order of the long-tailed training set.
    Without re-indexing, evaluate the balanced dataset itself.

    Args:
        dataset (dict | BaseDataset): the balanced dataset to subsample (or to keep
            whole when ``train_dataset`` is given), e.g. ``dict(type='FashionMNIST',
            ...)`` or a ``CustomDataset`` folder.
        imb_type (str): ``'exp'`` or ``'step'``.
        imb_factor (float): tail / head ratio (0.01 = IF100).
        seed (int): seed of the per-class shuffle.
        reorder_by_frequency (bool): re-index classes by training frequency.
        train_dataset (dict | BaseDataset, optional): the balanced training set whose
            long-tailed subset defines the class order of an evaluation split.
        pipeline (Sequence[dict]): transforms applied to the inner data infos.

    Items before the pipeline are the inner dataset's data infos with ``gt_label``
    remapped. Attributes: ``source_indices`` (kept indices of the inner dataset),
    ``class_order`` (``class_order[new] = original``); ``metainfo['classes']`` in the
    new order.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 imb_type: str = 'exp',
                 imb_factor: float = 0.01,
                 seed: int = 0,
                 reorder_by_frequency: bool = False,
                 train_dataset: Optional[Union[dict, BaseDataset]] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 **kwargs):
        if train_dataset is not None and not reorder_by_frequency:
            raise ValueError('LongTailSubset: train_dataset only sets the class order of an '
                             'evaluation split and needs reorder_by_frequency=True; without '
                             're-indexing, evaluate the balanced dataset itself.')
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.train_dataset = train_dataset
        self.reorder_by_frequency = reorder_by_frequency
        super().__init__(imb_type=imb_type, imb_factor=imb_factor, seed=seed,
                         long_tail=train_dataset is None, ann_file='', pipeline=pipeline,
                         test_mode=test_mode, **kwargs)

    def load_balanced(self) -> Tuple[np.ndarray, Callable[[int], dict]]:
        classes = self.dataset.metainfo.get('classes')
        if not classes:
            raise ValueError(f'LongTailSubset: the wrapped {type(self.dataset).__name__} has '
                             "no metainfo['classes']; the class count is needed.")
        self._metainfo.update(self.dataset.metainfo)
        return _labels_of(self.dataset), self.dataset.get_data_info

    def _training_class_order(self, labels: np.ndarray) -> np.ndarray:
        """``order[new] = original``: classes by decreasing count of the training subset."""
        if self.train_dataset is not None:
            train = LongTailSubset(self.train_dataset, self.imb_type, self.imb_factor,
                                   self.seed, reorder_by_frequency=True)
            return train.class_order
        counts = np.bincount(labels, minlength=len(self.metainfo['classes']))
        return np.argsort(-counts, kind='stable').astype(np.int64)

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        classes = self.metainfo['classes']
        if not self.reorder_by_frequency:
            self.class_order = np.arange(len(classes), dtype=np.int64)
            return data_list
        self.class_order = self._training_class_order(
            np.asarray([info['gt_label'] for info in data_list], dtype=np.int64))
        new_label = np.empty(len(classes), dtype=np.int64)
        new_label[self.class_order] = np.arange(len(classes))
        self._metainfo['classes'] = tuple(classes[i] for i in self.class_order)
        for info in data_list:
            info['gt_label'] = int(new_label[info['gt_label']])
        return data_list
