"""iNaturalist-2018 from the list files published with the LT literature."""
from ..registry import DATASETS
from .imagenet_lt import ImageNetLT


@DATASETS.register_module()
class INaturalist2018(ImageNetLT):
    """iNaturalist-2018: 8142 classes, lists ``iNaturalist18_{train,val}.txt``.

    Same arguments as :class:`ImageNetLT` (splits ``'train'`` and ``'val'``); class
    names are ``class_{original label}``.
    """

    list_template = 'iNaturalist18_{}.txt'
    splits = ('train', 'val')
    num_dataset_classes = 8142
    dataset_class_names = None
