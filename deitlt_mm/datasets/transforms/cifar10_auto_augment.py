"""AutoAugment with the CIFAR-10 policy (Cubuk et al., CVPR 2019), as PaCo applies it."""
from typing import Optional

from mmpretrain.datasets.transforms import AutoAugment

from ...registry import TRANSFORMS

# The 25 sub-policies of PaCo/LT/autoaug.py CIFAR10Policy (DeepVoltaire/AutoAugment), two
# operations each with their probability; magnitude index i of 10 levels -> shear
# 0.3 i / 9, translate (150 / 331) i / 9 of the side, rotate 30 i / 9 degrees
# counter-clockwise (never negated; mmcv's positive angle is clockwise), colour /
# contrast / sharpness / brightness factor 1 +- 0.9 i / 9, posterize round(8 - 4 i / 9)
# bits, solarize threshold 256 - 256 i / 9.
CIFAR10_POLICIES = [
    [dict(type='Invert', prob=0.1), dict(type='Contrast', magnitude=0.6, prob=0.2)],
    [dict(type='Rotate', angle=-30 / 9 * 2, random_negative_prob=0.0, prob=0.7),
     dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='horizontal', prob=0.3)],
    [dict(type='Sharpness', magnitude=0.1, prob=0.8),
     dict(type='Sharpness', magnitude=0.3, prob=0.9)],
    [dict(type='Shear', magnitude=0.3 / 9 * 8, direction='vertical', prob=0.5),
     dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.7)],
    [dict(type='AutoContrast', prob=0.5), dict(type='Equalize', prob=0.9)],
    [dict(type='Shear', magnitude=0.3 / 9 * 7, direction='vertical', prob=0.2),
     dict(type='Posterize', bits=5, prob=0.3)],
    [dict(type='ColorTransform', magnitude=0.3, prob=0.4),
     dict(type='Brightness', magnitude=0.7, prob=0.6)],
    [dict(type='Sharpness', magnitude=0.9, prob=0.3),
     dict(type='Brightness', magnitude=0.9, prob=0.7)],
    [dict(type='Equalize', prob=0.6), dict(type='Equalize', prob=0.5)],
    [dict(type='Contrast', magnitude=0.7, prob=0.6),
     dict(type='Sharpness', magnitude=0.5, prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.7, prob=0.7),
     dict(type='Translate', magnitude=150 / 331 / 9 * 8, direction='horizontal', prob=0.5)],
    [dict(type='Equalize', prob=0.3), dict(type='AutoContrast', prob=0.4)],
    [dict(type='Translate', magnitude=150 / 331 / 9 * 3, direction='vertical', prob=0.4),
     dict(type='Sharpness', magnitude=0.6, prob=0.2)],
    [dict(type='Brightness', magnitude=0.6, prob=0.9),
     dict(type='ColorTransform', magnitude=0.8, prob=0.2)],
    [dict(type='Solarize', thr=256 - 256 / 9 * 2, prob=0.5), dict(type='Invert', prob=0.0)],
    [dict(type='Equalize', prob=0.2), dict(type='AutoContrast', prob=0.6)],
    [dict(type='Equalize', prob=0.2), dict(type='Equalize', prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.9, prob=0.9), dict(type='Equalize', prob=0.6)],
    [dict(type='AutoContrast', prob=0.8),
     dict(type='Solarize', thr=256 - 256 / 9 * 8, prob=0.2)],
    [dict(type='Brightness', magnitude=0.3, prob=0.1),
     dict(type='ColorTransform', magnitude=0.0, prob=0.7)],
    [dict(type='Solarize', thr=256 - 256 / 9 * 5, prob=0.4),
     dict(type='AutoContrast', prob=0.9)],
    [dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.9),
     dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.7)],
    [dict(type='AutoContrast', prob=0.9),
     dict(type='Solarize', thr=256 - 256 / 9 * 3, prob=0.8)],
    [dict(type='Equalize', prob=0.8), dict(type='Invert', prob=0.1)],
    [dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.7),
     dict(type='AutoContrast', prob=0.9)],
]


@TRANSFORMS.register_module()
class CIFAR10AutoAugment(AutoAugment):
    """mmpretrain's ``AutoAugment`` with the CIFAR-10 policy (:data:`CIFAR10_POLICIES`).

    Each call applies one of the 25 sub-policies, drawn uniformly; each of its two
    operations runs with its own probability (PaCo's ``CIFAR10Policy``). Geometric
    operations fill with ``hparams['pad_val']`` (128, as PaCo).

    Args:
        hparams (dict): hyper-parameters merged into the operations that take
            them. None: ``dict(pad_val=128)``.

    Reads and writes ``results['img']`` (``uint8`` ``[H, W, 3]``).
    """

    def __init__(self, hparams: Optional[dict] = None):
        super().__init__(policies=CIFAR10_POLICIES, hparams=hparams or dict(pad_val=128))
