"""Every config under configs/teachers builds its model, SAM wrapper, schedulers and hooks."""
import math
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
PACO_CIFAR = {
    # name: (classes, imb_factor)
    'resnet32_paco-sam_cifar10-lt-if100': (10, 0.01),
    'resnet32_paco-sam_cifar10-lt-if50': (10, 0.02),
    'resnet32_paco-sam_cifar100-lt-if100': (100, 0.01),
    'resnet32_paco-sam_cifar100-lt-if50': (100, 0.02),
}
PACO_LARGE = {
    # name: (classes, weight decay, normalisation mean x 255)
    'resnet50_paco-sam_imagenet-lt': (1000, 5e-4, [123.675, 116.28, 103.53]),
    'resnet50_paco-sam_inat18': (8142, 1e-4, [118.83, 120.105, 96.9]),
}


def test_the_teacher_folder_holds_exactly_these_settings():
    assert sorted(p.stem for p in TEACHERS.glob('*.py')) == sorted(
        [*CIFAR, *LARGE, *PACO_CIFAR, *PACO_LARGE])


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
    hooks = [HOOKS.build(h) for h in cfg.get('custom_hooks', [])]
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


def paco_cifar_lr(epoch, lr=0.05):
    """PaCo/LT/paco_cifar.py adjust_learning_rate (warmup_epochs 10)."""
    if epoch <= 10:
        return lr / 10 * (epoch + 1)
    return lr * (0.01 if epoch > 360 else 0.1 if epoch > 320 else 1.0)


def paco_imagenet_lr(epoch, lr=0.02, epochs=400):
    """PaCo/LT/paco_lt.py adjust_learning_rate (warmup_epochs 10, cosine)."""
    if epoch < 10:
        return lr / 10 * (epoch + 1)
    return lr * 0.5 * (1.0 + math.cos(math.pi * (epoch - 10 + 1) / (epochs - 10 + 1)))


def check_paco_model(model, queue_shape, alpha, temperature, projector):
    assert type(model).__name__ == 'PaCoClassifier'
    assert tuple(model.queue.shape) == queue_shape and model.queue_labels.shape == (
        queue_shape[0], )
    assert model.momentum_encoder.momentum == 0.001  # MoCo m = 0.999
    loss = model.loss_module
    assert (loss.alpha, loss.beta, loss.gamma, loss.supt, loss.temperature,
            loss.base_temperature) == (alpha, 1.0, 1.0, 1.0, temperature, temperature)
    linears = [m for m in model.projector.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features, m.bias is not None) for m in linears] == projector
    assert type(model.data_preprocessor).__name__ == 'MultiViewClsDataPreprocessor'
    assert model.head.init_cfg is None  # PaCo's classifier: nn.Linear's default init


@pytest.mark.parametrize('name', sorted(PACO_CIFAR))
def test_resnet32_paco_teacher(name):
    classes, imb_factor = PACO_CIFAR[name]
    cfg = Config.fromfile(str(TEACHERS / f'{name}.py'))
    model, wrapper, lrs, hooks = build_parts(cfg)
    assert type(model.backbone).__name__ == 'ResNetCifarOptionA' and model.backbone.depth == 32
    assert model.head.fc.out_features == classes
    check_paco_model(model, (1024, 32), alpha=0.01, temperature=0.05,
                     projector=[(64, 64, True), (64, 32, True)])
    assert isinstance(wrapper, SAMOptimWrapper) and (wrapper.rho, wrapper.adaptive) == (0.05,
                                                                                     False)
    sgd = wrapper.optimizer
    assert (sgd.defaults['lr'], sgd.defaults['momentum'], sgd.defaults['weight_decay']) == (
        0.05, 0.9, 5e-4)
    assert len(lrs) == 400
    assert lrs == pytest.approx([paco_cifar_lr(e) for e in range(400)], rel=1e-12)
    assert hooks == []  # no DRW; the class prior's counts come from a default hook
    assert (cfg.train_dataloader.batch_size, cfg.train_dataloader.drop_last) == (128, True)
    # The long-tail profile applies to the training split only (the test set is balanced).
    assert cfg.train_dataloader.dataset.imb_factor == imb_factor
    assert 'imb_factor' not in cfg.val_dataloader.dataset
    assert 'imb_factor' not in cfg.test_dataloader.dataset
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == ['MultiView',
                                                                          'PackInputs']
    assert [t['type'] for t in cfg.test_dataloader.dataset.pipeline] == ['PackInputs']
    assert model.data_preprocessor.mean.flatten().tolist() == pytest.approx(
        [125.307, 122.961, 113.8575])


@pytest.mark.parametrize('name', sorted(PACO_LARGE))
def test_resnet50_paco_teacher(name):
    classes, weight_decay, mean = PACO_LARGE[name]
    cfg = Config.fromfile(str(TEACHERS / f'{name}.py'))
    model, wrapper, lrs, hooks = build_parts(cfg)
    assert model.backbone.depth == 50 and model.head.fc.out_features == classes
    check_paco_model(model, (8192, 128), alpha=0.05, temperature=0.2,
                     projector=[(2048, 2048, True), (2048, 128, True)])
    assert isinstance(wrapper, SAMOptimWrapper) and wrapper.rho == 0.05
    sgd = wrapper.optimizer
    assert (sgd.defaults['lr'], sgd.defaults['weight_decay']) == (0.02, weight_decay)
    assert lrs == pytest.approx([paco_imagenet_lr(e) for e in range(400)], rel=1e-12)
    assert hooks == []  # no DRW; the class prior's counts come from a default hook
    # 32 per GPU x 4 GPUs = PaCo's 128, the base of the linear lr scaling.
    assert (cfg.train_dataloader.batch_size, cfg.train_dataloader.drop_last) == (32, True)
    assert cfg.auto_scale_lr.base_batch_size == 128
    assert [t['type'] for t in cfg.train_dataloader.dataset.pipeline] == [
        'LoadImageWithCheck', 'MultiView', 'PackInputs']
    assert model.data_preprocessor.mean.flatten().tolist() == pytest.approx(mean)
