"""InPlaceMixup: bit-identical to mmpretrain's Mixup for the same random state."""
import numpy as np
import pytest
import torch
from mmpretrain.models.utils.batch_augments import Mixup
from mmpretrain.structures import DataSample

from deitlt_mm.registry import BATCH_AUGMENTS, MODELS


def seeded(seed, augment, inputs, scores):
    np.random.seed(seed)
    torch.manual_seed(seed)
    return augment(inputs, scores)


@pytest.mark.parametrize('seed', range(5))
def test_equals_mmpretrain_mixup(seed):
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(6, 3, 9, 7, generator=generator) * 60
    scores = torch.eye(4)[torch.tensor([0, 1, 2, 3, 0, 1])]
    want_inputs, want_scores = seeded(seed, Mixup(alpha=0.8), inputs.clone(), scores)
    batch = inputs.clone()
    mixup = BATCH_AUGMENTS.build(dict(type='InPlaceMixup', alpha=0.8))
    got_inputs, got_scores = seeded(seed, mixup, batch, scores)
    assert got_inputs is batch  # mixed in place, no new batch
    assert not torch.equal(got_inputs, inputs)
    assert torch.equal(got_inputs, want_inputs) and torch.equal(got_scores, want_scores)


def test_data_preprocessor_with_in_place_mixup_equals_mmpretrain():
    # The student configs' preprocessor: Mixup or CutMix per batch, normalised, to RGB.
    def preprocessor(mixup):
        return MODELS.build(dict(
            type='ClsDataPreprocessor', num_classes=4, mean=[120.0, 110.0, 100.0],
            std=[50.0, 60.0, 70.0], to_rgb=True,
            batch_augments=dict(augments=[dict(type=mixup, alpha=0.8),
                                          dict(type='CutMix', alpha=1.0)])))

    generator = torch.Generator().manual_seed(0)
    data = dict(inputs=[torch.randint(0, 256, (3, 8, 8), generator=generator, dtype=torch.uint8)
                        for _ in range(5)],
                data_samples=[DataSample().set_gt_label(y) for y in (0, 1, 2, 3, 0)])
    theirs, ours = preprocessor('Mixup'), preprocessor('InPlaceMixup')
    seeds = range(6)
    # RandomBatchAugment's first draw picks the augment: both are picked among the seeds.
    assert {np.random.seed(seed) or np.random.choice(2) for seed in seeds} == {0, 1}
    for seed in seeds:
        want = seeded(seed, lambda d, _: theirs(d, True), data, None)
        got = seeded(seed, lambda d, _: ours(d, True), data, None)
        assert torch.equal(got['inputs'], want['inputs'])
        for mine, their in zip(got['data_samples'], want['data_samples']):
            assert torch.equal(mine.gt_score, their.gt_score)
