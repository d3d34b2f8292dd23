"""CIFAR-100-LT: the long-tailed CIFAR-100 training set of the LDAM / DeiT-LT papers."""
from mmpretrain.datasets import CIFAR100

from ..registry import DATASETS
from .cifar10_lt import CIFAR10LT


@DATASETS.register_module()
class CIFAR100LT(CIFAR10LT):
    """Long-tailed CIFAR-100 read from ``cifar-100-python/{train,test}``.

    Same arguments, rule and outputs as :class:`CIFAR10LT`, with the 100 fine labels.
    """

    base_folder = CIFAR100.base_folder
    url = CIFAR100.url
    filename = CIFAR100.filename
    tgz_md5 = CIFAR100.tgz_md5
    train_list = CIFAR100.train_list
    test_list = CIFAR100.test_list
    meta = CIFAR100.meta
    METAINFO = CIFAR100.METAINFO
