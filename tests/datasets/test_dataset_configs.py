import copy
import gzip
import os
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from PIL import Image

from deitlt_mm.datasets import get_class_counts
from deitlt_mm.registry import DATASETS, METRICS, TRANSFORMS

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'datasets'
CUT_POINTS = {'cifar10_lt': [3, 7], 'cifar100_lt': [36, 71], 'imagenet_lt': [390, 835],
              'inat18': [842, 4543], 'fashion_mnist_lt': [3, 7]}


@pytest.mark.parametrize('name', sorted(CUT_POINTS))
def test_config_parses_and_components_build(name):
    cfg = Config.fromfile(str(CONFIG_DIR / f'{name}.py'))
    assert cfg.test_evaluator == dict(type='LongTailAccuracy', split='index',
                                      cut_points=CUT_POINTS[name])
    assert cfg.val_evaluator == cfg.test_evaluator
    METRICS.build(cfg.val_evaluator)
    METRICS.build(cfg.test_evaluator)
    assert {'mean', 'std', 'num_classes'} <= set(cfg.data_preprocessor)
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        for transform in loader.dataset.pipeline:
            TRANSFORMS.build(copy.deepcopy(transform))
    if name.startswith('cifar'):
        assert [t.type for t in cfg.teacher_train_pipeline] == \
            ['RandomCrop', 'RandomFlip', 'PackInputs']
    train_types = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    if name != 'fashion_mnist_lt':
        assert [t for t in train_types if t != 'LoadImageWithCheck'] == [
            'RandomResizedCrop', 'RandomFlip', 'RandAugment', 'PackInputs']
        # The DeiT recipe's erasing runs on the normalised batch (the reference's order).
        assert cfg.data_preprocessor.type == 'ErasingClsDataPreprocessor'
        assert cfg.data_preprocessor.random_erasing == dict(probability=0.25, mode='pixel',
                                                            max_count=1)


def _build(cfg_loader, **overrides):
    dataset_cfg = copy.deepcopy(cfg_loader.dataset)
    dataset_cfg.update(overrides)
    return DATASETS.build(dataset_cfg)


def test_cifar10_config_end_to_end(tmp_path):
    folder = tmp_path / 'cifar-10-batches-py'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in [f'data_batch_{i}' for i in range(1, 6)] + ['test_batch']:
        with open(folder / name, 'wb') as f:
            pickle.dump({'data': rng.integers(0, 255, (20, 3072), dtype=np.uint8),
                         'labels': list(range(10)) * 2}, f)
    cfg = Config.fromfile(str(CONFIG_DIR / 'cifar10_lt.py'))
    train = _build(cfg.train_dataloader, data_root=str(tmp_path), verify_md5=False)
    assert get_class_counts(train).tolist() == [10, 5, 3, 2, 1, 0, 0, 0, 0, 0]
    assert tuple(train[0]['inputs'].shape) == (3, 224, 224)
    teacher = _build(cfg.train_dataloader, data_root=str(tmp_path), verify_md5=False,
                     pipeline=cfg.teacher_train_pipeline)
    assert tuple(teacher[0]['inputs'].shape) == (3, 32, 32)
    test = _build(cfg.test_dataloader, data_root=str(tmp_path), verify_md5=False)
    assert len(test) == 20 and tuple(test[0]['inputs'].shape) == (3, 224, 224)


def test_imagenet_lt_config_end_to_end(tmp_path):
    (tmp_path / 'train').mkdir()
    lines = []
    for label, count in ((5, 3), (7, 1)):
        for k in range(count):
            Image.new('RGB', (40, 30), (label * 20, k * 50, 9)).save(
                tmp_path / 'train' / f'{label}_{k}.jpg')
            lines.append(f'train/{label}_{k}.jpg {label}')
    (tmp_path / 'ImageNet_LT_train.txt').write_text('\n'.join(lines))
    (tmp_path / 'ImageNet_LT_test.txt').write_text('train/7_0.jpg 7\n')
    cfg = Config.fromfile(str(CONFIG_DIR / 'imagenet_lt.py'))
    train = _build(cfg.train_dataloader, data_root=str(tmp_path))
    counts = get_class_counts(train)
    assert counts[:2].tolist() == [3, 1] and len(counts) == 1000
    assert tuple(train[0]['inputs'].shape) == (3, 224, 224)
    test = _build(cfg.test_dataloader, data_root=str(tmp_path))
    assert test.get_gt_labels().tolist() == [1]
    assert tuple(test[0]['inputs'].shape) == (3, 224, 224)


def test_fashion_mnist_config_end_to_end(tmp_path):
    rng = np.random.default_rng(0)
    for prefix, per_class in (('train', 10), ('t10k', 2)):
        labels = np.repeat(np.arange(10), per_class).astype(np.uint8)
        images = rng.integers(0, 255, (len(labels), 28, 28), dtype=np.uint8)
        for kind, array in (('images-idx3', images), ('labels-idx1', labels)):
            header = bytes([0, 0, 8, array.ndim]) + b''.join(
                struct.pack('>i', d) for d in array.shape)
            with gzip.open(os.path.join(tmp_path, f'{prefix}-{kind}-ubyte.gz'), 'wb') as f:
                f.write(header + array.tobytes())
    cfg = Config.fromfile(str(CONFIG_DIR / 'fashion_mnist_lt.py'))
    assert cfg.train_dataloader.dataset.data_root == '/usr/share/datasets/fashion-mnist'
    train = _build(cfg.train_dataloader, data_root=str(tmp_path))
    assert get_class_counts(train).tolist() == [10, 5, 3, 2, 1, 0, 0, 0, 0, 0]
    item = train[0]
    assert tuple(item['inputs'].shape) == (3, 32, 32)
    assert bool((item['inputs'][0] == item['inputs'][2]).all())
    test = _build(cfg.test_dataloader, data_root=str(tmp_path))
    assert len(test) == 20 and tuple(test[0]['inputs'].shape) == (3, 32, 32)
