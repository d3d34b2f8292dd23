"""Dataset helpers shared by every component that needs the class distribution."""
import numpy as np
from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset


def get_class_counts(dataset) -> np.ndarray:
    """Number of training images per class, ``int64`` array of shape ``[C]``.

    This is the one place class counts come from (DRW weights, LDAM margins, the
    shot-based metric split), so configs never carry hand-written count lists.

    A dataset may expose a ``class_counts`` attribute (the long-tailed datasets
    do); otherwise the counts are computed from ``get_gt_labels()`` with as many
    bins as ``metainfo['classes']``. Re-sampling wrappers (``ClassBalancedDataset``,
    ``RepeatDataset``) are looked through: DRW's effective number is defined on
    the images that exist, not on how often they are drawn. ``ConcatDataset``
    sums its parts.
    """
    if isinstance(dataset, (ClassBalancedDataset, RepeatDataset)):
        return get_class_counts(dataset.dataset)
    if isinstance(dataset, ConcatDataset):
        return np.sum([get_class_counts(d) for d in dataset.datasets], axis=0)
    counts = getattr(dataset, 'class_counts', None)
    if counts is not None:
        return np.asarray(counts, dtype=np.int64)
    if not hasattr(dataset, 'get_gt_labels'):
        raise TypeError(
            f'Cannot get class counts from {type(dataset).__name__}: expected a '
            'dataset with a `class_counts` attribute or a `get_gt_labels()` method.')
    labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64)
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    num_classes = len(classes) if classes else int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f'{type(dataset).__name__} has labels outside [0, {num_classes}) '
            f'(min {labels.min()}, max {labels.max()}).')
    return np.bincount(labels, minlength=num_classes).astype(np.int64)
