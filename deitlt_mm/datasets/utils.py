"""Dataset helpers shared by every component that needs the class distribution."""
import numpy as np
from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset


def get_class_counts(dataset) -> np.ndarray:
    """Number of images per class of ``dataset``, ``int64`` array of shape ``[C]``.

    This is the one place class counts come from (DRW weights, LDAM margins, the
    training counts the evaluation reports, see ``TrainClassCountsHook``), so
    configs never carry hand-written count lists and datasets store none: the
    labels of ``get_gt_labels()`` are counted, with as many bins as
    ``metainfo['classes']``. Re-sampling wrappers (``ClassBalancedDataset``,
    ``RepeatDataset``) are looked through: DRW's effective number is defined on the
    images that exist, not on how often they are drawn. ``ConcatDataset`` sums its
    parts.
    """
    if isinstance(dataset, (ClassBalancedDataset, RepeatDataset)):
        return get_class_counts(dataset.dataset)
    if isinstance(dataset, ConcatDataset):
        return np.sum([get_class_counts(d) for d in dataset.datasets], axis=0)
    if not hasattr(dataset, 'get_gt_labels'):
        raise TypeError(f'Cannot count the classes of {type(dataset).__name__}: expected a '
                        'dataset with a `get_gt_labels()` method.')
    labels = np.asarray(dataset.get_gt_labels(), dtype=np.int64).reshape(-1)
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    num_classes = len(classes) if classes else int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f'{type(dataset).__name__} has labels outside [0, {num_classes}) '
            f'(min {labels.min()}, max {labels.max()}).')
    return np.bincount(labels, minlength=num_classes).astype(np.int64)
