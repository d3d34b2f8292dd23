"""ImageNet-LT (Liu et al., OLTR) from its published list files."""
import os.path as osp
from typing import List, Optional

from mmpretrain.datasets.categories import IMAGENET_CATEGORIES

from ..registry import DATASETS
from .list_file_lt_dataset import ListFileLTDataset


@DATASETS.register_module()
class ImageNetLT(ListFileLTDataset):
    """ImageNet-LT: 1000 ImageNet classes, 115,846 training images (1280..5 per class).

    A :class:`ListFileLTDataset` with the published list names. Labels in the lists
    are ImageNet indices; they are re-indexed by training frequency with the
    reference's tie order, and class names follow. The lists are published in two
    spellings, both accepted: ``ImageNet_LT_{split}.txt`` (OLTR: train, val, test)
    and ``Imagenet_LT_{split}.txt`` (the DeiT-LT repository's ``data_txt/``: train,
    test); the first that exists in ``data_root`` is read. A missing list stops the
    build with one line naming both sources (docs/data.md).

    Args:
        data_root (str): folder with the list files and the images (``train/...``,
            ``val/...`` as the list paths say).
        split (str): ``'train'``, ``'val'`` or ``'test'``; picks the split's list
            (either spelling) unless ``ann_file`` is given.
        ann_file (str, optional): explicit list for this split.
        train_ann_file (str, optional): training list for the map; default the
            training list in either spelling.
        **kwargs: see :class:`ListFileLTDataset` (``class_map_file``,
            ``data_prefix``, ``check_files``, ``pipeline``...).
    """

    # Accepted list names, in the order they are looked up.
    list_templates = ('ImageNet_LT_{}.txt', 'Imagenet_LT_{}.txt')
    # Where the lists and images come from, for the error of a missing list.
    list_sources = ("the DeiT-LT repository's data_txt/ (Imagenet_LT_train.txt, "
                    "Imagenet_LT_test.txt) or OLTR's ImageNet_LT_open release "
                    '(ImageNet_LT_{train,val,test}.txt)')
    image_sources = 'ILSVRC-2012 (image-net.org: train/, and val/ sorted into class folders)'
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
            ann_file=ann_file or self.find_list(data_root, split),
            train_ann_file=train_ann_file or self.find_list(data_root, 'train'),
            data_root=data_root,
            **kwargs)

    @classmethod
    def list_names(cls, split: str) -> List[str]:
        """The accepted names of ``split``'s list, in lookup order."""
        return [template.format(split) for template in cls.list_templates]

    @classmethod
    def find_list(cls, data_root: str, split: str) -> str:
        """The first accepted name of ``split``'s list that exists in ``data_root``
        (the first name when none does: reading it then names every source)."""
        names = cls.list_names(split)
        return next((name for name in names if osp.isfile(osp.join(data_root, name))),
                    names[0])

    def missing_list_message(self, path: str) -> str:
        split = next((s for s in self.splits if osp.basename(path) in self.list_names(s)),
                     None)
        looked_for = '' if split is None or len(self.list_templates) == 1 else \
            f' (looked for {" and ".join(self.list_names(split))})'
        return (f'{type(self).__name__}: list file {path} not found{looked_for}. The lists '
                f'come from {self.list_sources}, the images from {self.image_sources}; put '
                'them in data_root as docs/data.md shows.')
