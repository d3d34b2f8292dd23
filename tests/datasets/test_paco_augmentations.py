"""PaCo's augmentations: CIFAR10AutoAugment and TimmRandAugment against the reference
tables op by op, and the two views of PaCo's CIFAR pipeline."""
import math
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.dataset import Compose

from deitlt_mm.registry import TRANSFORMS

PIPELINES = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'datasets' / 'pipelines'

# PaCo/LT/autoaug.py CIFAR10Policy: (p1, op1, level1, p2, op2, level2), fill 128.
CIFAR10_POLICY = [
    (0.1, 'invert', 7, 0.2, 'contrast', 6), (0.7, 'rotate', 2, 0.3, 'translateX', 9),
    (0.8, 'sharpness', 1, 0.9, 'sharpness', 3), (0.5, 'shearY', 8, 0.7, 'translateY', 9),
    (0.5, 'autocontrast', 8, 0.9, 'equalize', 2), (0.2, 'shearY', 7, 0.3, 'posterize', 7),
    (0.4, 'color', 3, 0.6, 'brightness', 7), (0.3, 'sharpness', 9, 0.7, 'brightness', 9),
    (0.6, 'equalize', 5, 0.5, 'equalize', 1), (0.6, 'contrast', 7, 0.6, 'sharpness', 5),
    (0.7, 'color', 7, 0.5, 'translateX', 8), (0.3, 'equalize', 7, 0.4, 'autocontrast', 8),
    (0.4, 'translateY', 3, 0.2, 'sharpness', 6), (0.9, 'brightness', 6, 0.2, 'color', 8),
    (0.5, 'solarize', 2, 0.0, 'invert', 3), (0.2, 'equalize', 0, 0.6, 'autocontrast', 0),
    (0.2, 'equalize', 8, 0.6, 'equalize', 4), (0.9, 'color', 9, 0.6, 'equalize', 6),
    (0.8, 'autocontrast', 4, 0.2, 'solarize', 8), (0.1, 'brightness', 3, 0.7, 'color', 0),
    (0.4, 'solarize', 5, 0.9, 'autocontrast', 3), (0.9, 'translateY', 9, 0.7, 'translateY', 9),
    (0.9, 'autocontrast', 2, 0.8, 'solarize', 3), (0.8, 'equalize', 8, 0.1, 'invert', 3),
    (0.7, 'translateY', 9, 0.9, 'autocontrast', 1),
]
RANGES = {  # SubPolicy's np.linspace ranges
    'shear': np.linspace(0, 0.3, 10), 'translate': np.linspace(0, 150 / 331, 10),
    'rotate': np.linspace(0, 30, 10), 'enhance': np.linspace(0.0, 0.9, 10),
    'posterize': np.round(np.linspace(8, 4, 10), 0).astype(int),
    'solarize': np.linspace(256, 0, 10),
}
ENHANCE = {'color': 'ColorTransform', 'contrast': 'Contrast', 'sharpness': 'Sharpness',
           'brightness': 'Brightness'}
PLAIN = {'autocontrast': 'AutoContrast', 'equalize': 'Equalize', 'invert': 'Invert'}


def mmpretrain_op(prob, name, level):
    """The mmpretrain transform that does what SubPolicy's op does (fill 128)."""
    if name in PLAIN:
        return dict(type=PLAIN[name], prob=prob)
    if name in ENHANCE:  # factor 1 + m or 1 - m: mmpretrain's random sign
        return dict(type=ENHANCE[name], magnitude=RANGES['enhance'][level], prob=prob)
    if name.startswith(('shear', 'translate')):
        kind, axis = name[:-1], name[-1]
        return dict(type=kind.capitalize(), magnitude=RANGES[kind][level],
                    direction='horizontal' if axis == 'X' else 'vertical', prob=prob,
                    pad_val=128)
    if name == 'rotate':  # PIL's counter-clockwise angle, never negated
        return dict(type='Rotate', angle=-RANGES['rotate'][level], random_negative_prob=0.0,
                    prob=prob, pad_val=128)
    if name == 'posterize':
        return dict(type='Posterize', bits=int(RANGES['posterize'][level]), prob=prob)
    assert name == 'solarize'
    return dict(type='Solarize', thr=RANGES['solarize'][level], prob=prob)


def test_cifar10_autoaugment_policy_is_pacos():
    augment = TRANSFORMS.build(dict(type='CIFAR10AutoAugment'))
    policies = augment.policies
    assert len(policies) == len(CIFAR10_POLICY) == 25
    for ours, (p1, op1, level1, p2, op2, level2) in zip(policies, CIFAR10_POLICY):
        for op, expected in zip(ours, (mmpretrain_op(p1, op1, level1),
                                       mmpretrain_op(p2, op2, level2))):
            assert op.keys() == expected.keys(), (op, expected)
            for key, value in expected.items():
                assert op[key] == (pytest.approx(value, rel=1e-12)
                                       if isinstance(value, float) else value), (op, expected)


def test_paco_cifar_pipeline_gives_two_different_views():
    cfg = Config.fromfile(str(PIPELINES / 'paco_cifar.py'))
    first_view, second_view = cfg.paco_cifar_views
    assert [t['type'] for t in first_view] == ['RandomCrop', 'RandomFlip',
                                               'CIFAR10AutoAugment', 'ClippedCutout']
    assert first_view[0]['padding'] == 4 and first_view[3]['length'] == 16
    assert [t['type'] for t in second_view] == ['RandomResizedCrop', 'RandomFlip',
                                                'RandomApply', 'RandomGrayscale',
                                                'GaussianBlur']
    assert second_view[0]['crop_ratio_range'] == (0.2, 1.0)
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3)).astype(np.uint8)
    np.random.seed(0)
    packed = Compose(cfg.paco_cifar_train_pipeline)(dict(img=img, gt_label=1))
    query, key = packed['inputs']
    assert query.shape == key.shape == (3, 32, 32) and not np.array_equal(query, key)


# PaCo/LT/randaugment.py, level -> argument of each op of _RAND_TRANSFORMS (timm 0.1):
# (our policy type, direction or None, reference argument of level L, our op's argument
# of its magnitude m).
RANDAUGMENT = [
    ('Rotate', None, lambda L: L / 10 * 30, lambda m: m),
    ('Posterize', None, lambda L: int(L / 10 * 4), math.ceil),  # 'PosterizeTpu'
    ('Solarize', None, lambda L: L / 10 * 256, lambda m: m),
    ('SolarizeAdd', None, lambda L: L / 10 * 110, lambda m: m),
    ('ColorTransform', None, lambda L: L / 10 * 1.8 + 0.1, lambda m: 1 + m),
    ('Contrast', None, lambda L: L / 10 * 1.8 + 0.1, lambda m: 1 + m),
    ('Brightness', None, lambda L: L / 10 * 1.8 + 0.1, lambda m: 1 + m),
    ('Sharpness', None, lambda L: L / 10 * 1.8 + 0.1, lambda m: 1 + m),
    ('Shear', 'horizontal', lambda L: L / 10 * 0.3, lambda m: m),
    ('Shear', 'vertical', lambda L: L / 10 * 0.3, lambda m: m),
    ('Translate', 'horizontal', lambda L: L / 10 * 0.45, lambda m: m),  # 'TranslateXRel'
    ('Translate', 'vertical', lambda L: L / 10 * 0.45, lambda m: m),
]


def test_timm_randaugment_maps_levels_like_pacos():
    cfg = Config.fromfile(str(PIPELINES / 'paco_imagenet.py'))
    view_1, _ = cfg.paco_imagenet_train_pipeline[1]['transforms']
    randaugment = TRANSFORMS.build(view_1[-1])
    assert (randaugment.num_policies, randaugment.magnitude_level, randaugment.magnitude_std,
            randaugment.total_level) == (2, 10, 0.5, 10)
    ops = randaugment.transforms
    assert [type(op).__name__ for op in ops[:3]] == ['AutoContrast', 'Equalize', 'Invert']
    assert len(ops) == 3 + len(RANDAUGMENT) == 15
    assert all(op.prob == 0.5 for op in ops)
    levels = np.linspace(0, 10, 1001)
    for op, (op_type, direction, reference, argument) in zip(ops[3:], RANDAUGMENT):
        assert (type(op).__name__, getattr(op, 'direction', None)) == (op_type, direction)
        low, high = op.magnitude_range
        ours = [argument(level / 10 * (high - low) + low) for level in levels]
        expected = [reference(level) for level in levels]
        assert ours == pytest.approx(expected, abs=1e-9), op_type
        # timm negates rotate / shear / translate at random, not the enhancement factors.
        negated = op_type in ('Rotate', 'Shear', 'Translate')
        assert op.random_negative_prob == (0.5 if negated else 0.0), op_type
        if hasattr(op, 'pad_val'):  # PaCo's ImageNet mean, BGR order
            assert tuple(op.pad_val) == (104, 116, 124)
