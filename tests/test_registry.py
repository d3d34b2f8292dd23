"""deitlt_mm's registries: our names in our scope, mmpretrain untouched in its own."""
import subprocess
import sys
from pathlib import Path

import mmpretrain
import mmpretrain.registry as mmpretrain_registry
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS
from mmengine.registry import DefaultScope

import deitlt_mm
import deitlt_mm.registry as deitlt_registry
from deitlt_mm.datasets import (
    CIFAR10LT,
    CIFAR10AutoAugment,
    ClippedCutout,
    FashionMNISTLT,
    GrayToRGB,
    RandomImageDataset,
    TimmRandAugment,
)
from deitlt_mm.engine.hooks import (
    AtomicCheckpointHook,
    DRWHook,
    NonFiniteCheckHook,
    NumClassesCheckHook,
    ReseedHook,
    SAMRhoHook,
)
from deitlt_mm.engine.model_wrappers import DeviceAwareDistributedDataParallel
from deitlt_mm.engine.optimizers import SAMAmpOptimWrapper, SAMOptimWrapper
from deitlt_mm.evaluation import LongTailAccuracy
from deitlt_mm.models.backbones import DistilledVisionTransformer, ResNetCifarOptionA
from deitlt_mm.models.classifiers import DistillClassifier, PaCoClassifier
from deitlt_mm.models.heads import DualHead
from deitlt_mm.models.losses import DRWDistillLoss, LDAMLoss, PaCoLoss
from deitlt_mm.models.utils import MultiViewClsDataPreprocessor

REPO = Path(__file__).resolve().parents[1]
MMPRETRAIN_CONFIGS = Path(mmpretrain.__file__).parent / '.mim' / 'configs'

OURS = [
    ('MODELS', 'DistilledVisionTransformer', DistilledVisionTransformer),
    ('MODELS', 'ResNetCifarOptionA', ResNetCifarOptionA),
    ('MODELS', 'DualHead', DualHead),
    ('MODELS', 'DRWDistillLoss', DRWDistillLoss),
    ('MODELS', 'LDAMLoss', LDAMLoss),
    ('MODELS', 'DistillClassifier', DistillClassifier),
    ('MODELS', 'PaCoClassifier', PaCoClassifier),
    ('MODELS', 'PaCoLoss', PaCoLoss),
    ('MODELS', 'MultiViewClsDataPreprocessor', MultiViewClsDataPreprocessor),
    ('HOOKS', 'DRWHook', DRWHook),
    ('HOOKS', 'SAMRhoHook', SAMRhoHook),
    ('HOOKS', 'AtomicCheckpointHook', AtomicCheckpointHook),
    ('HOOKS', 'ReseedHook', ReseedHook),
    ('HOOKS', 'NonFiniteCheckHook', NonFiniteCheckHook),
    ('HOOKS', 'NumClassesCheckHook', NumClassesCheckHook),
    ('OPTIM_WRAPPERS', 'SAMOptimWrapper', SAMOptimWrapper),
    ('OPTIM_WRAPPERS', 'SAMAmpOptimWrapper', SAMAmpOptimWrapper),
    ('METRICS', 'LongTailAccuracy', LongTailAccuracy),
    ('DATASETS', 'CIFAR10LT', CIFAR10LT),
    ('DATASETS', 'FashionMNISTLT', FashionMNISTLT),
    ('DATASETS', 'RandomImageDataset', RandomImageDataset),
    ('TRANSFORMS', 'GrayToRGB', GrayToRGB),
    ('TRANSFORMS', 'ClippedCutout', ClippedCutout),
    ('TRANSFORMS', 'CIFAR10AutoAugment', CIFAR10AutoAugment),
    ('TRANSFORMS', 'TimmRandAugment', TimmRandAugment),
    ('MODEL_WRAPPERS', 'DeviceAwareDistributedDataParallel', DeviceAwareDistributedDataParallel),
]


@pytest.mark.parametrize('registry,name,cls', OURS, ids=[n for _, n, _ in OURS])
def test_our_names_resolve_to_our_classes_in_our_scope(registry, name, cls):
    assert getattr(deitlt_registry, registry).get(name) is cls
    # mmengine's root registries (what the Runner builds with) switch to our scope.
    root = getattr(deitlt_registry, registry)._get_root_registry()
    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        with root.switch_scope_and_registry('deitlt_mm') as registry_in_scope:
            assert registry_in_scope.get(name) is cls


def test_every_mmpretrain_registry_has_a_deitlt_child():
    for name in deitlt_registry.__all__:
        ours = getattr(deitlt_registry, name)
        assert ours.scope == 'deitlt_mm'
        if name == 'MODEL_WRAPPERS':  # see deitlt_mm/registry.py
            assert ours.parent is ROOT_MODEL_WRAPPERS
        else:
            assert ours.parent is getattr(mmpretrain_registry, name), name


def test_runner_finds_the_runtime_model_wrapper():
    """mmengine's Runner.wrap_model calls the root's get() on the config's type."""
    cfg = Config.fromfile(str(REPO / 'configs/_base_/default_runtime.py'))
    assert ROOT_MODEL_WRAPPERS.get(cfg.model_wrapper_cfg.type) is \
        DeviceAwareDistributedDataParallel


@pytest.mark.parametrize('registry,name', [
    ('MODELS', 'ImageClassifier'), ('MODELS', 'VisionTransformer'),
    ('MODELS', 'LinearClsHead'), ('BATCH_AUGMENTS', 'Mixup'), ('BATCH_AUGMENTS', 'CutMix'),
    ('DATASETS', 'CIFAR10'), ('TRANSFORMS', 'PackInputs'), ('TRANSFORMS', 'RandomFlip'),
    ('HOOKS', 'CheckpointHook'), ('OPTIMIZERS', 'AdamW'), ('METRICS', 'Accuracy'),
    ('PARAM_SCHEDULERS', 'CosineAnnealingLR'), ('VISUALIZERS', 'UniversalVisualizer'),
])
def test_mmpretrain_and_mmengine_names_stay_reachable_from_our_scope(registry, name):
    found = getattr(deitlt_registry, registry).get(name)
    assert found is not None and not found.__module__.startswith('deitlt_mm')


def test_mmpretrain_registries_hold_none_of_our_classes():
    """Importing deitlt_mm registers nothing in mmpretrain's (or mmengine's) nodes."""
    for name in deitlt_registry.__all__:
        parent = getattr(mmpretrain_registry, name)
        for registry in (parent, parent.parent):
            if registry is None:
                continue
            ours = [key for key, cls in registry.module_dict.items()
                    if getattr(cls, '__module__', '').startswith('deitlt_mm')]
            assert not ours, f'{registry.scope} {registry.name}: {ours}'
    assert ROOT_MODEL_WRAPPERS.get('DeviceAwareDistributedDataParallel') is None


def test_same_name_builds_each_scopes_own_class():
    cfg = dict(type='DistilledVisionTransformer', arch='deit-tiny', img_size=32, patch_size=16)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        theirs = mmpretrain_registry.MODELS.build(cfg)
    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        ours = mmpretrain_registry.MODELS.build(cfg)
    assert type(theirs).__module__.startswith('mmpretrain.')
    assert type(ours) is DistilledVisionTransformer


def test_mmpretrain_deit_distilled_config_still_builds_and_predicts():
    """mmpretrain's own DeiT-distilled config, with deitlt_mm imported, builds mmpretrain's
    classes: its DeiTClsHead then predicts from mmpretrain's backbone output."""
    cfg = Config.fromfile(MMPRETRAIN_CONFIGS / 'deit' / 'deit-tiny-distilled_4xb256_in1k.py')
    assert cfg.default_scope == 'mmpretrain'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = mmpretrain_registry.MODELS.build(cfg.model)
    assert type(model.backbone).__module__.startswith('mmpretrain.')
    model.eval()
    with torch.no_grad():
        scores = model(torch.randn(1, 3, 224, 224), mode='predict')[0].pred_score
    assert scores.shape == (1000, )


def test_configs_register_through_custom_imports():
    """A fresh interpreter that never imported deitlt_mm gets it from the runtime config."""
    code = (
        'from mmengine.config import Config\n'
        'from mmengine.registry import init_default_scope\n'
        'from mmengine.utils import import_modules_from_strings\n'
        f'cfg = Config.fromfile({str(REPO / "configs/_base_/default_runtime.py")!r})\n'
        'import_modules_from_strings(**cfg.custom_imports)\n'
        'init_default_scope(cfg.default_scope)\n'
        'from mmengine.registry import DATASETS\n'
        'with DATASETS.switch_scope_and_registry(None) as registry:\n'
        '    print(registry.scope, registry.get("RandomImageDataset").__module__)\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'deitlt_mm deitlt_mm.datasets.random_image_dataset'


def test_smoke_config_builds_its_dataset():
    cfg = Config.fromfile(str(REPO / 'configs/smoke/tiny_resnet_random_lt.py'))
    assert cfg.default_scope == 'deitlt_mm'
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        dataset = deitlt_registry.DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 45
    assert dataset[0]['inputs'].shape == (3, 32, 32)
    assert deitlt_mm.registry.DATASETS.get('RandomImageDataset') is RandomImageDataset
