"""ErasingClsDataPreprocessor: timm's per-image erasing on the normalised batch, then Mixup."""
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmpretrain.datasets import PackInputs
from mmpretrain.models.utils import ClsDataPreprocessor
from timm.data.random_erasing import RandomErasing

from deitlt_mm.registry import MODELS

SETTINGS = dict(num_classes=3, mean=[10.0, 20.0, 30.0], std=[2.0, 4.0, 8.0], to_rgb=False)
# The reference's re_prob 0.25, re_mode 'pixel', re_count 1; probability 1 here so that
# every image is erased.
ERASING = dict(probability=1.0, mode='pixel', max_count=1)
MIXUP = dict(augments=[dict(type='Mixup', alpha=0.8)])


def batch(size=4, side=16):
    generator = torch.Generator().manual_seed(0)
    samples = [PackInputs()(dict(
        img=torch.randint(0, 256, (side, side, 3), generator=generator).numpy().astype('uint8'),
        gt_label=index % 3)) for index in range(size)]
    return pseudo_collate(samples)


def seed(value):
    random.seed(value)
    np.random.seed(value)
    torch.manual_seed(value)


def test_training_batch_equals_timm_erasing_on_each_normalised_image():
    preprocessor = MODELS.build(dict(type='ErasingClsDataPreprocessor', random_erasing=ERASING,
                                     **SETTINGS))
    plain = ClsDataPreprocessor(**SETTINGS)
    seed(3)
    out = preprocessor(batch(), training=True)['inputs']

    # The reference: timm's transform on each normalised image in turn, same draws.
    normalised = plain(batch(), training=True)['inputs']
    reference = RandomErasing(**ERASING, device='cpu')
    seed(3)
    expected = torch.stack([reference(image.clone()) for image in normalised])
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    # Every image has an erased patch, of N(0, 1) noise not clipped to the uint8 range.
    erased = out != normalised
    assert all(erased[i].any() for i in range(len(out)))
    assert erased.float().mean() < 0.5


def test_validation_and_no_erasing_are_cls_data_preprocessor():
    plain = ClsDataPreprocessor(**SETTINGS)
    erasing = MODELS.build(dict(type='ErasingClsDataPreprocessor', random_erasing=ERASING,
                                **SETTINGS))
    off = MODELS.build(dict(type='ErasingClsDataPreprocessor', **SETTINGS))
    expected = plain(batch(), training=False)['inputs']
    torch.testing.assert_close(erasing(batch(), training=False)['inputs'], expected,
                               rtol=0, atol=0)
    torch.testing.assert_close(off(batch(), training=True)['inputs'], expected, rtol=0, atol=0)


def test_mixup_runs_after_erasing_and_mixes_labels():
    preprocessor = MODELS.build(dict(type='ErasingClsDataPreprocessor', random_erasing=ERASING,
                                     batch_augments=MIXUP, **SETTINGS))
    plain = MODELS.build(dict(type='ErasingClsDataPreprocessor', random_erasing=ERASING,
                              **SETTINGS))
    seed(5)
    mixed = preprocessor(batch(), training=True)
    # By hand: the erased batch, then mmpretrain's Mixup draws (the augment choice and
    # lambda from numpy, the partner order from torch) on it.
    seed(5)
    erased = plain(batch(), training=True)['inputs']
    np.random.choice(1)
    lam = np.random.beta(0.8, 0.8)
    order = torch.randperm(len(erased))
    torch.testing.assert_close(mixed['inputs'], lam * erased + (1 - lam) * erased[order],
                               rtol=0, atol=0)
    onehot = torch.nn.functional.one_hot(torch.tensor([0, 1, 2, 0]), 3).float()
    scores = torch.stack([sample.gt_score for sample in mixed['data_samples']])
    torch.testing.assert_close(scores, lam * onehot + (1 - lam) * onehot[order])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='random_erasing: device'):
        MODELS.build(dict(type='ErasingClsDataPreprocessor',
                          random_erasing=dict(probability=0.5, device='cuda'), **SETTINGS))
