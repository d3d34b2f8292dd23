"""RandAugment over timm's original (not "increasing") operations, as PaCo uses it."""
from numbers import Number
from typing import Optional, Union

from mmpretrain.datasets.transforms import RandAugment

from ...registry import TRANSFORMS

# timm 0.1's _RAND_TRANSFORMS (PaCo/LT/randaugment.py): the magnitude of each operation is
# level / total_level of its range; rotate, shear and translate get a random sign, the
# enhancement factors do not (factor 0.1 + 1.8 * level / 10 = 1 + magnitude).
TIMM_RAND_POLICIES = [
    dict(type='AutoContrast'),
    dict(type='Equalize'),
    dict(type='Invert'),
    dict(type='Rotate', magnitude_range=(0, 30)),
    # 'PosterizeTpu': int(level * 0.4) bits; Posterize rounds up, hence the offset.
    dict(type='Posterize', magnitude_range=(-0.999999, 3.000001)),
    dict(type='Solarize', magnitude_range=(0, 256)),
    dict(type='SolarizeAdd', magnitude_range=(0, 110), thr=128),
    # Enhancement factor 0.1 + 1.8 * level / 10 = 1 + magnitude, no random sign.
    dict(type='ColorTransform', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Contrast', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Brightness', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Sharpness', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='horizontal'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
]


@TRANSFORMS.register_module()
class TimmRandAugment(RandAugment):
    """mmpretrain's ``RandAugment`` over :data:`TIMM_RAND_POLICIES`.

    ``num_policies`` operations are drawn with replacement from the 15 of
    timm's original RandAugment (PaCo's ``rand_augment_transform``), each applied
    with probability 0.5 at a level drawn from ``N(magnitude_level,
    magnitude_std)`` clipped to ``[0, total_level]``. PaCo's ImageNet-LT / iNat
    setting ``'rand-n2-m10-mstd0.5'`` is ``num_policies=2, magnitude_level=10,
    magnitude_std=0.5``. Differences from timm: the interpolation of rotate /
    shear / translate is fixed (bicubic, bicubic, nearest) where timm draws
    bilinear or bicubic, and solarize thresholds are not truncated to integers.

    Args:
        num_policies (int): operations per image.
        magnitude_level (int | float): mean level.
        magnitude_std (Number | str): standard deviation of the level.
            Defaults to 0.
        total_level (int | float): the maximum level. Defaults to 10.
        hparams (dict): merged into the operations that take them, e.g. the
            fill ``pad_val``. None: ``dict(pad_val=128)``.

    Reads and writes ``results['img']`` (``uint8`` ``[H, W, 3]``).
    """

    def __init__(self,
                 num_policies: int,
                 magnitude_level: Union[int, float],
                 magnitude_std: Union[Number, str] = 0.,
                 total_level: Union[int, float] = 10,
                 hparams: Optional[dict] = None):
        super().__init__(policies=TIMM_RAND_POLICIES, num_policies=num_policies,
                         magnitude_level=magnitude_level, magnitude_std=magnitude_std,
                         total_level=total_level, hparams=hparams or dict(pad_val=128))
