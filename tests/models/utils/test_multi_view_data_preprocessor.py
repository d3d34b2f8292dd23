"""MultiViewClsDataPreprocessor: each view as ClsDataPreprocessor, either collate function."""
import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.datasets import PackInputs
from mmpretrain.models.utils import ClsDataPreprocessor

from deitlt_mm.registry import MODELS

SETTINGS = dict(num_classes=3, mean=[10.0, 20.0, 30.0], std=[2.0, 4.0, 8.0], to_rgb=True)


def packed_samples(num_views):
    generator = torch.Generator().manual_seed(0)
    samples = []
    for label in (0, 2, 1):
        views = [torch.randint(0, 256, (8, 8, 3), generator=generator).numpy().astype('uint8')
                 for _ in range(num_views)]
        img = views if num_views > 1 else views[0]
        samples.append(PackInputs()(dict(img=img, gt_label=label)))
    return samples


def test_each_view_is_preprocessed_like_one_view():
    preprocessor = MODELS.build(dict(type='MultiViewClsDataPreprocessor', **SETTINGS))
    single = ClsDataPreprocessor(**SETTINGS)
    samples = packed_samples(num_views=2)
    for collate in (pseudo_collate, default_collate):
        out = preprocessor(collate(samples), training=True)
        assert isinstance(out['inputs'], list) and len(out['inputs']) == 2
        for view, inputs in enumerate(out['inputs']):
            expected = single(dict(inputs=[s['inputs'][view] for s in samples]))['inputs']
            assert inputs.shape == (3, 3, 8, 8)
            torch.testing.assert_close(inputs, expected, rtol=0, atol=0)
        assert [int(s.gt_label) for s in out['data_samples']] == [0, 2, 1]
    # The two views differ (they are different images here).
    assert not torch.equal(*out['inputs'])


def test_single_view_batches_are_cls_data_preprocessor_batches():
    preprocessor = MODELS.build(dict(type='MultiViewClsDataPreprocessor', **SETTINGS))
    samples = packed_samples(num_views=1)
    expected = ClsDataPreprocessor(**SETTINGS)(pseudo_collate(samples))['inputs']
    for collate in (pseudo_collate, default_collate):
        torch.testing.assert_close(preprocessor(collate(samples))['inputs'], expected)


def test_batch_augments_are_refused_for_several_views():
    preprocessor = MODELS.build(dict(
        type='MultiViewClsDataPreprocessor', **SETTINGS,
        batch_augments=dict(augments=[dict(type='Mixup', alpha=0.8)])))
    with pytest.raises(ValueError, match='not supported for multi-view'):
        preprocessor(pseudo_collate(packed_samples(num_views=2)), training=True)
