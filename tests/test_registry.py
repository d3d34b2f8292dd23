"""Importing deitlt_mm registers its components where configs look them up."""
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS, DefaultScope
from mmpretrain.registry import DATASETS

import deitlt_mm

REPO = Path(__file__).resolve().parents[1]


def test_components_found_by_name():
    assert DATASETS.get('RandomImageDataset') is deitlt_mm.datasets.RandomImageDataset
    assert MODEL_WRAPPERS.get('DeviceAwareDistributedDataParallel') is \
        deitlt_mm.compat.DeviceAwareDistributedDataParallel


def test_configs_register_through_custom_imports():
    """A fresh interpreter that never imported deitlt_mm gets it from the runtime config."""
    code = (
        'from mmengine.config import Config\n'
        'from mmengine.registry import init_default_scope\n'
        'from mmengine.utils import import_modules_from_strings\n'
        f'cfg = Config.fromfile({str(REPO / "configs/_base_/default_runtime.py")!r})\n'
        'import_modules_from_strings(**cfg.custom_imports)\n'
        'init_default_scope(cfg.default_scope)\n'
        'from mmpretrain.registry import DATASETS\n'
        'print(DATASETS.get("RandomImageDataset").__module__)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'deitlt_mm.datasets.random_image_dataset'


def test_smoke_config_builds_its_dataset():
    cfg = Config.fromfile(str(REPO / 'configs/smoke/tiny_resnet_random_lt.py'))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 45
    assert dataset[0]['inputs'].shape == (3, 32, 32)
