"""Every config under configs/ builds: model, datasets, evaluators, optimizer, schedulers,
hooks; one training-mode forward on the config's own pipeline runs.

Configs are found by glob, so new ones are covered without editing this file. Stub data
are written per dataset type; DeiT-B backbones are shrunk to one 32-d block (their true
values are checked in test_paper_configs.py) and teacher checkpoints are left out
(missing-file behaviour is tested there too).
"""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from deitlt_mm.datasets.class_map_file import dataset_class_map_path, save_dataset_class_map
from deitlt_mm.datasets.utils import get_class_counts
from deitlt_mm.registry import DATASETS, HOOKS, METRICS, MODELS, PARAM_SCHEDULERS
from tests._stub_data import write_stub_data

CONFIG_ROOT = Path(__file__).resolve().parents[2] / 'configs'
CONFIGS = sorted(str(p.relative_to(CONFIG_ROOT)) for p in CONFIG_ROOT.rglob('*.py')
                 if '_base_' not in p.parts)
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
TINY_ARCH = {'DistilledVisionTransformer': dict(embed_dims=32, num_layers=1, num_heads=2)}


def test_configs_are_found():
    assert {'deitlt/deitlt_b_cifar10_if100.py', 'deitlt/deitlt_b_inat18.py',
            'demo/deitlt_tiny_fmnist_lt.py', 'smoke/tiny_resnet_random_lt.py'} <= set(CONFIGS)


def shrink(model_cfg):
    """DeiT-B -> one 32-d block, ResNet50 -> ResNet18, so ~30 configs build in seconds."""
    backbone = model_cfg.backbone
    if backbone.type in TINY_ARCH and isinstance(backbone.arch, str):
        backbone.arch = dict(TINY_ARCH[backbone.type])
        model_cfg.head.in_channels = 32
    if backbone.type == 'ResNet' and backbone.depth == 50:
        backbone.depth = 18
        model_cfg.head.in_channels = 512
        if model_cfg.get('projector'):  # PaCoClassifier's MLP on the pooled feature
            model_cfg.projector.in_channels = model_cfg.projector.hid_channels = 512
    if model_cfg.get('teacher'):
        shrink(model_cfg.teacher)
    if 'teacher_checkpoint' in model_cfg:
        model_cfg.teacher_checkpoint = None
    return model_cfg


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_and_trains_one_batch(config, tmp_path):
    init_default_scope('deitlt_mm')
    cfg = Config.fromfile(str(CONFIG_ROOT / config))
    dataset_types = {cfg[loader].dataset.type for loader in LOADERS}
    for dataset_type in dataset_types - {'RandomImageDataset'}:
        write_stub_data(dataset_type, tmp_path)
    datasets, class_map_files = {}, set()
    for loader in LOADERS:
        dataset_cfg = copy.deepcopy(cfg[loader].dataset)
        if dataset_cfg.type != 'RandomImageDataset':
            dataset_cfg.data_root = str(tmp_path)
        if dataset_cfg.type in ('CIFAR10LT', 'CIFAR100LT'):
            dataset_cfg.verify_md5 = False  # the stub pickles are not the official files
        class_map_file = dataset_class_map_path(dataset_cfg)
        if class_map_file is not None:  # as tools/data/save_class_map.py writes it
            save_dataset_class_map(dataset_cfg, class_map_file)
            class_map_files.add(class_map_file)
        datasets[loader] = DATASETS.build(dataset_cfg)
        assert len(datasets[loader]) >= 2, loader
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        METRICS.build(copy.deepcopy(evaluator))

    # As mmengine's Runner: the dataset config's data_preprocessor goes to the model, a
    # scheduler without `end` ends at max_epochs (max_iters when by iteration).
    model_cfg = shrink(copy.deepcopy(cfg.model))
    model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.get('data_preprocessor')))
    if model_cfg.get('teacher_class_map_file'):  # the datasets' map, moved to tmp_path
        model_cfg.teacher_class_map_file, = class_map_files
    model = MODELS.build(model_cfg)
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) \
        else [cfg.param_scheduler]
    for scheduler in copy.deepcopy(schedulers):
        scheduler.setdefault('end', cfg.train_cfg.max_epochs if scheduler.get('by_epoch', True)
                             else cfg.train_cfg.max_iters)
        if scheduler.pop('convert_to_iter_based', False):
            PARAM_SCHEDULERS.get(scheduler.pop('type')).build_iter_from_epoch(
                optim_wrapper, epoch_length=10, **scheduler)
        else:
            PARAM_SCHEDULERS.build(dict(scheduler, optimizer=optim_wrapper))
    for hook in cfg.get('custom_hooks', []):
        HOOKS.build(copy.deepcopy(hook))

    # TrainClassCountsHook hands the training counts to the losses at before_train; the stub sets
    # are too small for IF100 to keep an image of every class, hence the floor of 1.
    counts = np.maximum(get_class_counts(datasets['train_dataloader']), 1)
    for module in model.modules():
        if hasattr(module, 'set_class_counts'):
            module.set_class_counts(counts)

    # One training batch through the config's pipeline, preprocessor (batch augments)
    # and loss: class counts of head, teacher and preprocessor must agree.
    train = datasets['train_dataloader']
    batch = model.data_preprocessor(pseudo_collate([train[0], train[1]]), training=True)
    losses = model(**batch, mode='loss')
    assert losses and all(torch.isfinite(v).all() for v in losses.values())
