import os
import pickle

import numpy as np
import pytest
from mmengine.dataset import ClassBalancedDataset

from deitlt_mm.datasets import get_class_counts
from deitlt_mm.datasets.long_tail import long_tail_class_counts
from deitlt_mm.registry import DATASETS

PER_CLASS = 50


def _write_cifar(root, num_classes, seed=0):
    """Balanced synthetic CIFAR pickles; image ``i`` stores ``i`` in its first 2 bytes."""
    rng = np.random.default_rng(seed)
    if num_classes == 10:
        folder = os.path.join(root, 'cifar-10-batches-py')
        train_names, test_names, key = [f'data_batch_{i}' for i in range(1, 6)], ['test_batch'], \
            'labels'
    else:
        folder = os.path.join(root, 'cifar-100-python')
        train_names, test_names, key = ['train'], ['test'], 'fine_labels'
    os.makedirs(folder)
    labels = rng.permutation(np.repeat(np.arange(num_classes), PER_CLASS))
    data = np.zeros((len(labels), 3072), dtype=np.uint8)
    data[:, 0], data[:, 1] = np.arange(len(labels)) // 256, np.arange(len(labels)) % 256
    test_labels = np.tile(np.arange(num_classes), 3)
    for names, lab, dat in ((train_names, labels, data),
                            (test_names, test_labels, data[:len(test_labels)])):
        for part, (lab_part, dat_part) in enumerate(
                zip(np.array_split(lab, len(names)), np.array_split(dat, len(names)))):
            with open(os.path.join(folder, names[part]), 'wb') as f:
                pickle.dump({'data': dat_part, key: lab_part.tolist()}, f)
    return labels


def _reference_keep(labels, num_classes, imb_type, imb_factor):
    """The reference procedure verbatim: global seed, shuffle per class in label order."""
    img_max = len(labels) / num_classes
    if imb_type == 'exp':
        nums = [int(img_max * imb_factor ** (i / (num_classes - 1.0)))
                for i in range(num_classes)]
    else:
        nums = [int(img_max)] * (num_classes // 2) + \
            [int(img_max * imb_factor)] * (num_classes // 2)
    np.random.seed(0)
    keep = []
    for c, n in zip(np.unique(labels), nums):
        idx = np.where(labels == c)[0]
        np.random.shuffle(idx)
        keep.extend(idx[:n].tolist())
    return np.asarray(keep), np.asarray(nums)


def _image_ids(ds):
    return np.asarray([int(ds.get_data_info(i)['img'][0, 0, 0]) * 256 +
                       int(ds.get_data_info(i)['img'][0, 1, 0]) for i in range(len(ds))])


@pytest.mark.parametrize('imb_type,imb_factor', [('exp', 0.01), ('exp', 0.02), ('step', 0.01),
                                                 ('step', 0.02)])
def test_cifar100_lt_matches_reference_procedure(tmp_path, imb_type, imb_factor):
    labels = _write_cifar(str(tmp_path), 100)
    ds = DATASETS.build(dict(type='CIFAR100LT', data_root=str(tmp_path), split='train',
                             imb_type=imb_type, imb_factor=imb_factor, verify_md5=False))
    keep, nums = _reference_keep(labels, 100, imb_type, imb_factor)
    np.testing.assert_array_equal(get_class_counts(ds), nums)
    np.testing.assert_array_equal(_image_ids(ds), keep)
    np.testing.assert_array_equal(ds.source_indices, keep)
    np.testing.assert_array_equal(ds.get_gt_labels(), labels[keep])
    assert len(ds.metainfo['classes']) == 100


def test_profile_formula_values():
    exp = long_tail_class_counts(500, 100, 'exp', 0.01)
    assert exp[0] == 500 and exp[-1] == 5 and exp[50] == int(500 * 0.01 ** (50 / 99))
    assert long_tail_class_counts(5000, 10, 'exp', 0.02) == \
        [5000, 3237, 2096, 1357, 878, 568, 368, 238, 154, 100]
    assert long_tail_class_counts(5000, 10, 'step', 0.01) == [5000] * 5 + [50] * 5


def test_global_numpy_state_untouched(tmp_path):
    _write_cifar(str(tmp_path), 10)
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    DATASETS.build(dict(type='CIFAR10LT', data_root=str(tmp_path), verify_md5=False))
    assert np.random.rand() == expected


def test_cifar10_lt_test_split_is_whole_and_reads_no_training_file(tmp_path):
    _write_cifar(str(tmp_path), 10)
    for name in [f'data_batch_{i}' for i in range(1, 6)]:
        # Present for the file check only: the test split must not read them.
        (tmp_path / 'cifar-10-batches-py' / name).write_bytes(b'not a pickle')
    test = DATASETS.build(dict(type='CIFAR10LT', data_root=str(tmp_path), split='test',
                               verify_md5=False))
    np.testing.assert_array_equal(get_class_counts(test), [3] * 10)
    assert test.get_gt_labels().tolist() == list(range(10)) * 3


def test_class_balanced_wrapper_counts_the_images_that_exist(tmp_path):
    _write_cifar(str(tmp_path), 10)
    train = DATASETS.build(dict(type='CIFAR10LT', data_root=str(tmp_path), imb_factor=0.1,
                                verify_md5=False))
    balanced = ClassBalancedDataset(train, oversample_thr=0.5)
    assert len(balanced) > len(train)
    np.testing.assert_array_equal(get_class_counts(balanced), get_class_counts(train))
    assert train.metainfo['classes'][0] == 'airplane'


def test_bad_long_tail_settings_fail_before_reading(tmp_path):
    with pytest.raises(ValueError, match="imb_type must be one of .* got 'linear'"):
        DATASETS.build(dict(type='CIFAR10LT', data_root=str(tmp_path), imb_type='linear'))
    with pytest.raises(ValueError, match=r'imb_factor must be in \(0, 1\], got 100'):
        DATASETS.build(dict(type='CIFAR10LT', data_root=str(tmp_path), imb_factor=100))


def test_missing_files_one_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='cifar-10-batches-py.*download=True'):
        DATASETS.build(dict(type='CIFAR10LT', data_root=str(tmp_path), download=False))
