"""DRWHook: the switch only (state from the epoch, batch augments on/off), no counting."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.model import MMDistributedDataParallel, is_model_wrapper

from deitlt_mm.registry import HOOKS, MODELS

COUNTS = [12, 6, 3, 2]


def build_student():
    return MODELS.build(dict(
        type='DistillClassifier',
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=32, num_layers=1, num_heads=2),
                      img_size=32, patch_size=8),
        head=dict(type='DualHead', num_classes=len(COUNTS), in_channels=32,
                  loss=dict(type='DRWDistillLoss', distillation_type='none')),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=len(COUNTS)),
        # As the configs give Mixup (mmpretrain's way); the preprocessor gets it.
        train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8)])))


def fake_runner(model, epoch=0, iteration=0):
    # No training set: the counts are TrainClassCountsHook's business, not DRWHook's.
    return SimpleNamespace(model=model, epoch=epoch, iter=iteration,
                           logger=MMLogger.get_current_instance())


def test_does_not_count_or_hand_counts_over():
    model = build_student()
    loss = model.head.loss_module
    runner = fake_runner(model)  # without a training set
    hook = HOOKS.build(dict(type='DRWHook', drw=0))
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert loss.drw_active is True
    assert loss.class_counts.numel() == 0 and loss.class_weights.numel() == 0


def test_switches_at_drw_epoch():
    model = build_student()
    loss = model.head.loss_module
    mixup = model.data_preprocessor.batch_augments
    hook = HOOKS.build(dict(type='DRWHook', drw=2))
    runner = fake_runner(model)
    hook.before_train(runner)
    for epoch, active in [(0, False), (1, False), (2, True), (3, True)]:
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert loss.drw_active is active
        if active:
            assert model.data_preprocessor.batch_augments is None
            assert model.data_preprocessor.to_onehot is False
        else:
            assert model.data_preprocessor.batch_augments is mixup
            assert model.data_preprocessor.to_onehot is True


def test_by_iteration_switches_at_drw_iteration_and_ignores_epochs():
    model = build_student()
    loss = model.head.loss_module
    mixup = model.data_preprocessor.batch_augments
    hook = HOOKS.build(dict(type='DRWHook', drw=5, by_epoch=False))
    runner = fake_runner(model)
    messages = []
    runner.logger = SimpleNamespace(info=messages.append)
    hook.before_train(runner)
    for iteration, epoch, active in [(0, 0, False), (4, 0, False), (5, 0, True), (9, 3, True)]:
        runner.iter, runner.epoch = iteration, epoch
        state = hook.active
        hook.before_train_epoch(runner)  # epochs do not count
        assert hook.active is state
        hook.before_train_iter(runner, batch_idx=iteration)
        assert loss.drw_active is active
        assert model.data_preprocessor.batch_augments is (None if active else mixup)
    assert 'DRW from iteration 5' in messages[0]
    # Logged once per change.
    assert messages[1:] == ['DRWHook: iteration 0: DRW off.',
                            'DRWHook: iteration 5: DRW on, batch augments off.']
    # An epoch-based hook ignores iterations.
    epoch_hook = HOOKS.build(dict(type='DRWHook', drw=0))
    epoch_hook.before_train(runner)
    epoch_hook.before_train_iter(runner, batch_idx=0)
    assert epoch_hook.active is None
    with pytest.raises(ValueError, match=r'non-negative iteration \(int\), got -1'):
        HOOKS.build(dict(type='DRWHook', drw=-1, by_epoch=False))


def test_resumed_past_drw_is_active_immediately():
    model = build_student()
    hook = HOOKS.build(dict(type='DRWHook', drw=2))
    runner = fake_runner(model, epoch=5)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert model.head.loss_module.drw_active is True
    assert model.data_preprocessor.batch_augments is None
    # Going back before drw (e.g. a new run on the same model) restores the mixup.
    runner.epoch = 0
    hook.before_train_epoch(runner)
    assert model.data_preprocessor.batch_augments is not None


def test_keeps_mixup_when_asked():
    model = build_student()
    hook = HOOKS.build(dict(type='DRWHook', drw=0, no_mixup_drw=False))
    runner = fake_runner(model)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert model.head.loss_module.drw_active is True
    assert model.data_preprocessor.batch_augments is not None


def test_unwraps_model_wrappers():
    model = build_student()
    # A DDP wrapper without a process group: only its `.module` matters to the hook.
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    torch.nn.Module.__init__(wrapper)
    wrapper.module = model
    assert is_model_wrapper(wrapper)
    hook = HOOKS.build(dict(type='DRWHook', drw=0))
    runner = fake_runner(wrapper)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    assert model.head.loss_module.drw_active is True
    assert model.data_preprocessor.batch_augments is None


def test_model_without_drw_loss_is_an_error():
    model = MODELS.build(dict(type='ImageClassifier',
                              backbone=dict(type='ResNetCifarOptionA', depth=8),
                              neck=dict(type='GlobalAveragePooling'),
                              head=dict(type='LinearClsHead', num_classes=4, in_channels=64)))
    with pytest.raises(RuntimeError, match='no module with a drw_active flag'):
        HOOKS.build(dict(type='DRWHook', drw=1)).before_train(fake_runner(model))


@pytest.mark.parametrize('drw', [None, -1, 2.5, True])
def test_drw_is_a_non_negative_int(drw):
    with pytest.raises(ValueError, match=f'non-negative epoch \\(int\\), got {drw!r}'):
        HOOKS.build(dict(type='DRWHook', drw=drw))
