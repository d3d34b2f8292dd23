import gzip
import struct

import numpy as np
import pytest
from mmengine.dataset import ClassBalancedDataset

from deitlt_mm.datasets import get_class_counts
from deitlt_mm.datasets.fashion_mnist_lt import read_idx
from deitlt_mm.datasets.long_tail import long_tail_class_counts
from deitlt_mm.registry import DATASETS

PER_CLASS_TRAIN, PER_CLASS_TEST = 40, 3


def _write_idx(path, array, compress):
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(struct.pack('>i', d)
                                                       for d in array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(str(path) + '.gz', 'wb') as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def _write_fashion_mnist(root, compress=True):
    """Balanced IDX files; pixel [0, 0] / [0, 1] of image i encode i."""
    rng = np.random.default_rng(0)
    for prefix, per_class in (('train', PER_CLASS_TRAIN), ('t10k', PER_CLASS_TEST)):
        labels = rng.permutation(np.repeat(np.arange(10), per_class))
        images = np.zeros((len(labels), 28, 28), dtype=np.uint8)
        images[:, 0, 0], images[:, 0, 1] = np.arange(len(labels)) // 256, np.arange(
            len(labels)) % 256
        _write_idx(root / f'{prefix}-images-idx3-ubyte', images, compress)
        _write_idx(root / f'{prefix}-labels-idx1-ubyte', labels, compress)
    return labels


def _reference_keep(labels, nums):
    np.random.seed(0)
    keep = []
    for c, n in enumerate(nums):
        idx = np.where(labels == c)[0]
        np.random.shuffle(idx)
        keep.extend(idx[:n].tolist())
    return np.asarray(keep)


def _ids(ds):
    return np.asarray([int(ds.get_data_info(i)['img'][0, 0]) * 256 +
                       int(ds.get_data_info(i)['img'][0, 1]) for i in range(len(ds))])


@pytest.mark.parametrize('compress', [True, False])
def test_fashion_mnist_lt_from_idx_files(tmp_path, compress):
    _write_fashion_mnist(tmp_path, compress)
    train = DATASETS.build(dict(type='FashionMNISTLT', data_root=str(tmp_path)))
    nums = long_tail_class_counts(PER_CLASS_TRAIN, 10, 'exp', 0.01)
    assert nums == [40, 23, 14, 8, 5, 3, 1, 1, 0, 0]
    np.testing.assert_array_equal(get_class_counts(train), nums)
    assert train.metainfo['classes'][0] == 'T-shirt/top'
    balanced = ClassBalancedDataset(train, oversample_thr=0.5)
    assert len(balanced) > len(train)
    np.testing.assert_array_equal(get_class_counts(balanced), nums)
    raw_labels = read_idx(str(tmp_path / 'train-labels-idx1-ubyte') +
                          ('.gz' if compress else ''))
    np.testing.assert_array_equal(_ids(train), _reference_keep(raw_labels, nums))

    # The test split reads its own files only.
    for stem in ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'):
        (tmp_path / (stem + ('.gz' if compress else ''))).unlink()
    test = DATASETS.build(dict(type='FashionMNISTLT', data_root=str(tmp_path), split='test',
                               pipeline=[dict(type='GrayToRGB'), dict(type='PackInputs')]))
    np.testing.assert_array_equal(get_class_counts(test), [PER_CLASS_TEST] * 10)
    assert tuple(test[0]['inputs'].shape) == (3, 28, 28)


def test_bad_idx_header(tmp_path):
    (tmp_path / 'bad').write_bytes(b'\x00\x00\x0d\x01\x00\x00\x00\x01abcd')
    with pytest.raises(ValueError, match='bad: not a uint8 IDX file'):
        read_idx(str(tmp_path / 'bad'))


def test_fashion_mnist_lt_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError,
                       match=f'train-images-idx3-ubyte.*{tmp_path}.*dataset-fashion-mnist'):
        DATASETS.build(dict(type='FashionMNISTLT', data_root=str(tmp_path)))


def test_wrapper_on_mmpretrain_fashion_mnist_equals_fashion_mnist_lt(tmp_path):
    # mmpretrain's FashionMNIST reads the uncompressed files; no download happens
    # because they exist.
    _write_fashion_mnist(tmp_path, compress=False)
    wrapped = DATASETS.build(dict(
        type='LongTailSubset', imb_factor=0.01,
        dataset=dict(type='FashionMNIST', data_root=str(tmp_path), download=False)))
    direct = DATASETS.build(dict(type='FashionMNISTLT', data_root=str(tmp_path)))
    np.testing.assert_array_equal(_ids(wrapped), _ids(direct))
    np.testing.assert_array_equal(wrapped.get_gt_labels(), direct.get_gt_labels())
    np.testing.assert_array_equal(get_class_counts(wrapped), get_class_counts(direct))
    assert wrapped.metainfo['classes'] == direct.metainfo['classes']

    balanced = ClassBalancedDataset(wrapped, oversample_thr=0.5)
    assert len(balanced) > len(wrapped)
    assert balanced.get_cat_ids(len(balanced) - 1)[0] in range(10)


def test_wrapper_reorders_by_frequency_and_maps_eval_split():
    # class 0 only has 2 images, fewer than its exp target of 10.
    inner = dict(type='RandomImageDataset', class_counts=[2, 10, 10, 10], img_size=4)
    train = DATASETS.build(dict(type='LongTailSubset', dataset=inner, imb_factor=0.1,
                                reorder_by_frequency=True))
    assert long_tail_class_counts(10, 4, 'exp', 0.1) == [10, 4, 2, 1]
    np.testing.assert_array_equal(get_class_counts(train), [4, 2, 2, 1])
    np.testing.assert_array_equal(train.class_order, [1, 0, 2, 3])
    assert train.metainfo['classes'] == ('class_1', 'class_0', 'class_2', 'class_3')
    assert train.get_gt_labels().tolist() == [1, 1, 0, 0, 0, 0, 2, 2, 3]

    test = DATASETS.build(dict(
        type='LongTailSubset', dataset=dict(inner, seed=1, class_counts=[1, 2, 3, 4]),
        train_dataset=inner, imb_factor=0.1, reorder_by_frequency=True))
    assert test.get_gt_labels().tolist() == [1, 0, 0, 2, 2, 2, 3, 3, 3, 3]
    assert test.metainfo['classes'] == train.metainfo['classes']
    np.testing.assert_array_equal(get_class_counts(test), [2, 1, 3, 4])


def test_wrapper_train_dataset_needs_reordering():
    inner = dict(type='RandomImageDataset', class_counts=[4, 4], img_size=4)
    with pytest.raises(ValueError, match='train_dataset .* reorder_by_frequency=True'):
        DATASETS.build(dict(type='LongTailSubset', dataset=inner, train_dataset=inner))
