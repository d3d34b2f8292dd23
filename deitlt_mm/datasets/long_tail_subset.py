"""Make any classification dataset long-tailed with the CIFAR-LT rule."""
from typing import Optional, Sequence, Union

import numpy as np
from mmpretrain.datasets import BaseDataset

from ..registry import DATASETS
from .long_tail import long_tail_subset


def _labels_of(dataset) -> np.ndarray:
    if hasattr(dataset, 'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    return np.asarray([dataset.get_cat_ids(i)[0] for i in range(len(dataset))], dtype=np.int64)


@DATASETS.register_module()
class LongTailSubset(BaseDataset):
    """Long-tailed subset of a balanced classification dataset.

    The same rule as CIFAR-LT (:func:`~deitlt_mm.datasets.long_tail.long_tail_subset`):
    ``n_max`` = images of the largest class, class ``i`` keeps the ``exp`` / ``step``
    profile's count, chosen by a seed-``seed`` shuffle per class in label order.
    The wrapped dataset only provides data infos (``get_data_info``); the
    pipeline belongs to this wrapper, so give the inner dataset none.

    With ``reorder_by_frequency=True`` classes are re-indexed by decreasing kept
    count (stable order: ties keep label order, so an already monotone profile is
    unchanged), labels are remapped and ``metainfo['classes']`` re-ordered.

    For the evaluation split pass ``train_dataset``: the rule then runs on that
    (training) dataset to get the counts and class order, and ``dataset`` is kept
    whole (balanced), with the same label remap.

    Args:
        dataset (dict | BaseDataset): the balanced dataset to subsample (or to keep
            whole when ``train_dataset`` is given), e.g. ``dict(type='FashionMNIST',
            ...)`` or a ``CustomDataset`` folder.
        imb_type (str): ``'exp'`` or ``'step'``.
        imb_factor (float): tail / head ratio (0.01 = IF100).
        seed (int): seed of the per-class shuffle.
        reorder_by_frequency (bool): re-index classes by training frequency.
        train_dataset (dict | BaseDataset, optional): training set whose LT subset
            defines counts and class order, for evaluation splits.
        pipeline (Sequence[dict]): transforms applied to the inner data infos.

    Items before the pipeline are the inner dataset's data infos with ``gt_label``
    remapped. Attributes: ``class_counts`` (int64 ``[C]`` of this split),
    ``indices`` (kept indices of the inner dataset), ``class_order``
    (``class_order[new] = original``); ``metainfo['classes']`` and
    ``metainfo['train_class_counts']`` in the new order.
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
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self.train_dataset = DATASETS.build(train_dataset) \
            if isinstance(train_dataset, dict) else train_dataset
        self.imb_type = imb_type
        self.imb_factor = float(imb_factor)
        self.seed = int(seed)
        self.reorder_by_frequency = reorder_by_frequency
        super().__init__(ann_file='', pipeline=pipeline, test_mode=test_mode, **kwargs)

    def load_data_list(self):
        classes = self.dataset.metainfo.get('classes')
        if not classes:
            raise ValueError(f'LongTailSubset: the wrapped {type(self.dataset).__name__} has '
                             "no metainfo['classes']; the class count is needed.")
        num_classes = len(classes)
        source = self.train_dataset if self.train_dataset is not None else self.dataset
        source_labels = _labels_of(source)
        source_keep = long_tail_subset(
            source_labels, num_classes, self.imb_type, self.imb_factor, self.seed)
        train_counts = np.bincount(source_labels[source_keep], minlength=num_classes)

        if self.reorder_by_frequency:
            self.class_order = np.argsort(-train_counts, kind='stable').astype(np.int64)
        else:
            self.class_order = np.arange(num_classes, dtype=np.int64)
        new_label = np.empty(num_classes, dtype=np.int64)
        new_label[self.class_order] = np.arange(num_classes)

        self._metainfo.update(self.dataset.metainfo)
        self._metainfo['classes'] = tuple(classes[i] for i in self.class_order)
        self._metainfo['train_class_counts'] = train_counts[self.class_order].tolist()

        if self.train_dataset is None:
            labels, self.indices = source_labels, source_keep
        else:
            labels = _labels_of(self.dataset)
            self.indices = np.arange(len(labels), dtype=np.int64)
        kept_labels = new_label[labels[self.indices]]
        self.class_counts = np.bincount(kept_labels, minlength=num_classes).astype(np.int64)
        data_list = []
        for index, label in zip(self.indices, kept_labels):
            info = self.dataset.get_data_info(int(index))
            info['gt_label'] = int(label)
            data_list.append(info)
        return data_list
