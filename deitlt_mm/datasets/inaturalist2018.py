"""iNaturalist-2018 from the list files published with the LT literature."""
from ..registry import DATASETS
from .imagenet_lt import ImageNetLT


@DATASETS.register_module()
class INaturalist2018(ImageNetLT):
    """iNaturalist-2018: 8142 classes, lists ``iNaturalist18_{train,val}.txt``.

    Same arguments as :class:`ImageNetLT` (splits ``'train'`` and ``'val'``); class
    names are ``class_{original label}``. The list paths start with
    ``train_val2018/`` (the competition's image tree).
    """

    list_templates = ('iNaturalist18_{}.txt', )
    list_sources = ("the DeiT-LT repository's data_txt/ (iNaturalist18_train.txt, "
                    'iNaturalist18_val.txt)')
    image_sources = ('the iNaturalist 2018 competition (github.com/visipedia/inat_comp: '
                     'train_val2018/)')
    splits = ('train', 'val')
    num_dataset_classes = 8142
    dataset_class_names = None
