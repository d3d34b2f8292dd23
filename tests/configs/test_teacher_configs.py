"""Every config under configs/teachers builds its model, SAM wrapper, schedulers and hooks."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from deitlt_mm.engine.optimizers import SAMOptimWrapper
from deitlt_mm.registry import HOOKS, MODELS, PARAM_SCHEDULERS

TEACHERS = Path(__file__).resolve().parents[2] / 'configs' / 'teachers'
CIFAR = {
    # name: (classes, loss type, rho, imb_factor)
    'resnet32_ldam-drw-sam_cifar10-lt-if100': (10, 'LDAMLoss', 0.8, 0.01),
    'resnet32_ldam-drw-sam_cifar10-lt-if50': (10, 'LDAMLoss', 0.8, 0.02),
    'resnet32_ce-drw-sam_cifar10-lt-if100': (10, 'DRWCrossEntropyLoss', 0.5, 0.01),
    'resnet32_ce-drw-sam_cifar10-lt-if50': (10, 'DRWCrossEntropyLoss', 0.5, 0.02),
    'resnet32_ldam-drw-sam_cifar100-lt-if100': (100, 'LDAMLoss', 0.8, 0.01),
    'resnet32_ldam-drw-sam_cifar100-lt-if50': (100, 'LDAMLoss', 0.8, 0.02),
    'resnet32_ce-drw-sam_cifar100-lt-if100': (100, 'DRWCrossEntropyLoss', 0.8, 0.01),
    'resnet32_ce-drw-sam_cifar100-lt-if50': (100, 'DRWCrossEntropyLoss', 0.8, 0.02),
}
LARGE = {
    # name: (classes, lr)
    'resnet50_ldam-drw-sam_imagenet-lt': (1000, 0.2),
    'resnet50_ldam-drw-sam_inat18': (8142, 0.1),
}


def test_the_teacher_folder_holds_exactly_these_settings():
    assert sorted(p.stem for p in TEACHERS.glob('*.py')) == sorted([*CIFAR, *LARGE])


def build_parts(cfg):
    """Model, optimizer wrapper, per-epoch lr list and hooks of a config."""
    # As mmengine's Runner: the dataset config's data_preprocessor goes to the model, a
    # scheduler without `end` ends at max_epochs.
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    # The Runner builds the wrapper under the config's default scope (mmpretrain).
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = [PARAM_SCHEDULERS.build(dict(s, optimizer=wrapper, epoch_length=1,
                                              end=s.get('end', cfg.train_cfg.max_epochs)))
                  for s in cfg.param_scheduler]
    lrs = []
    for _ in range(cfg.train_cfg.max_epochs):
        lrs.append(wrapper.param_groups[0]['lr'])
        for scheduler in schedulers:
            scheduler.step()
    hooks = [HOOKS.build(h) for h in cfg.custom_hooks]
    return model, wrapper, lrs, hooks


@pytest.mark.parametrize('name', sorted(CIFAR))
def test_resnet32_cifar_teacher(name):
    classes, loss_type, rho, imb_factor = CIFAR[name]
    cfg = Config.fromfile(str(TEACHERS / f'{name}.py'))
    model, wrapper, lrs, hooks = build_parts(cfg)
    assert type(model.backbone).__name__ == 'ResNetCifarOptionA' and model.backbone.depth == 32
    assert model.head.fc.out_features == classes
    assert type(model.head.loss_module).__name__ == loss_type
    assert model.head.loss_module.beta == 0.9999
    assert isinstance(wrapper, SAMOptimWrapper) and (wrapper.rho, wrapper.adaptive) == (rho,
                                                                                     False)
    sgd = wrapper.optimizer
    assert isinstance(sgd, torch.optim.SGD)
    assert (sgd.defaults['momentum'], sgd.defaults['weight_decay']) == (0.9, 2e-4)
    # Warmup 0.02 .. 0.1 over epochs 0-4, x0.01 at 160, x0.0001 at 180; 200 epochs.
    expected = [0.02, 0.04, 0.06, 0.08] + [0.1] * 156 + [1e-3] * 20 + [1e-5] * 20
    assert lrs == pytest.approx(expected, rel=1e-6)
    assert [(type(h).__name__, h.drw) for h in hooks] == [('DRWHook', 160)]
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.train_dataloader.dataset.imb_factor == imb_factor
    assert 'imb_factor' not in cfg.test_dataloader.dataset  # the whole test set
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
        'RandomCrop', 'RandomFlip', 'PackInputs']
    assert cfg.train_dataloader.dataset.pipeline[0]['padding'] == 4
    assert [t['type'] for t in cfg.test_dataloader.dataset.pipeline] == ['PackInputs']
    assert model.data_preprocessor.mean.flatten().tolist() == pytest.approx(
        [125.307, 122.961, 113.8575])
    assert cfg.val_evaluator.type == 'LongTailAccuracy'


@pytest.mark.parametrize('name', sorted(LARGE))
def test_resnet50_teacher(name):
    classes, lr = LARGE[name]
    cfg = Config.fromfile(str(TEACHERS / f'{name}.py'))
    model, wrapper, lrs, hooks = build_parts(cfg)
    assert model.backbone.depth == 50 and model.head.fc.out_features == classes
    assert type(model.head.loss_module).__name__ == 'LDAMLoss'
    assert isinstance(wrapper, SAMOptimWrapper)
    assert wrapper.optimizer.defaults['weight_decay'] == 2e-4
    assert len(lrs) == 90 and lrs[0] == pytest.approx(lr) and lrs[45] == pytest.approx(lr / 2)
    rho_hook, drw_hook = hooks
    assert [rho_hook.rho_at(e) for e in (0, 4, 5, 59, 60, 75, 89)] == [
        0.05, 0.05, 0.1, 0.1, 0.5, 0.5, 0.5]
    assert drw_hook.drw == 60
    assert cfg.train_dataloader.batch_size == 256
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
        'LoadImageWithCheck', 'RandomResizedCrop', 'RandomFlip', 'PackInputs']
    assert cfg.test_evaluator.type == 'LongTailAccuracy'
