"""ImageNet-LT (Liu et al., OLTR) from its published list files."""
from typing import Optional

from mmpretrain.datasets.categories import IMAGENET_CATEGORIES

from ..registry import DATASETS
from .list_file_lt_dataset import ListFileLTDataset


@DATASETS.register_module()
class ImageNetLT(ListFileLTDataset):
    """ImageNet-LT: 1000 ImageNet classes, 115,846 training images (1280..5 per class).

    A :class:`ListFileLTDataset` with the published list names. Labels in the lists
    are ImageNet indices; they are re-indexed by training frequency with the
    reference's tie order, and class names follow.

    Args:
        data_root (str): folder with the list files and the images (``train/...``,
            ``val/...`` as the list paths say).
        split (str): ``'train'``, ``'val'`` or ``'test'``; picks
            ``ImageNet_LT_{split}.txt`` unless ``ann_file`` is given.
        ann_file (str, optional): explicit list for this split.
        train_ann_file (str, optional): training list for the map; default
            ``ImageNet_LT_train.txt``.
        **kwargs: see :class:`ListFileLTDataset` (``class_map_file``,
            ``data_prefix``, ``check_files``, ``pipeline``...).
    """

    list_template = 'ImageNet_LT_{}.txt'
    splits = ('train', 'val', 'test')
    num_dataset_classes = 1000
    dataset_class_names = IMAGENET_CATEGORIES

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 ann_file: Optional[str] = None,
                 train_ann_file: Optional[str] = None,
                 **kwargs):
        if split not in self.splits:
            raise ValueError(f'{type(self).__name__}: split must be one of {self.splits}, '
                             f'got {split!r}')
        self.split = split
        kwargs.setdefault('num_classes', self.num_dataset_classes)
        kwargs.setdefault('class_names', self.dataset_class_names)
        super().__init__(
            ann_file=ann_file or self.list_template.format(split),
            train_ann_file=train_ann_file or self.list_template.format('train'),
            data_root=data_root,
            **kwargs)
