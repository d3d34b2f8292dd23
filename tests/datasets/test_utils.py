import numpy as np
import pytest
from mmengine.dataset import ClassBalancedDataset, ConcatDataset, RepeatDataset

from deitlt_mm.datasets import get_class_counts
from deitlt_mm.registry import DATASETS


def _random(counts, seed=0):
    return DATASETS.build(dict(type='RandomImageDataset', class_counts=counts, seed=seed,
                               img_size=8))


def test_counts_from_labels_and_wrappers():
    ds = _random([7, 3, 0, 1])
    np.testing.assert_array_equal(get_class_counts(ds), [7, 3, 0, 1])
    # Re-sampling wrappers report the images that exist, not the draws.
    np.testing.assert_array_equal(
        get_class_counts(ClassBalancedDataset(ds, oversample_thr=0.5)), [7, 3, 0, 1])
    np.testing.assert_array_equal(get_class_counts(RepeatDataset(ds, times=3)), [7, 3, 0, 1])
    np.testing.assert_array_equal(
        get_class_counts(ConcatDataset([ds, _random([1, 1, 1, 1], seed=1)])), [8, 4, 1, 2])


def test_counts_need_labels():
    with pytest.raises(TypeError, match='list: expected a dataset with a `get_gt_labels'):
        get_class_counts([1, 2])


def test_random_image_dataset_is_seeded_and_shaped():
    a, b = _random([3, 2]), _random([3, 2])
    assert len(a) == 5
    item = a.get_data_info(0)
    assert item['img'].shape == (8, 8, 3) and item['img'].dtype == np.uint8
    np.testing.assert_array_equal(a.get_data_info(4)['img'], b.get_data_info(4)['img'])
    assert [a.get_data_info(i)['gt_label'] for i in range(5)] == [0, 0, 0, 1, 1]
    with pytest.raises(ValueError, match='class_counts'):
        _random([3, -1])
