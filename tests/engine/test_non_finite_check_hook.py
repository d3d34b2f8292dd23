"""NonFiniteCheckHook: stop at the first NaN / Inf loss, refuse non-finite saves."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub

from deitlt_mm.engine.hooks import NonFiniteCheckHook
from deitlt_mm.errors import NonFiniteError


def fake_runner(iteration=6, epoch=1, last_ckpt=None):
    hub = MessageHub(name=f'non_finite_{iteration}_{last_ckpt}')
    if last_ckpt:
        hub.update_info('last_ckpt', last_ckpt)
    return SimpleNamespace(iter=iteration, epoch=epoch, message_hub=hub)


def test_finite_losses_pass():
    outputs = dict(loss=torch.tensor(1.5), loss_cls=torch.tensor(1.0), loss_dist=0.5)
    NonFiniteCheckHook().after_train_iter(fake_runner(), 0, outputs=outputs)


def test_non_finite_loss_names_iteration_term_and_last_checkpoint():
    outputs = dict(loss=torch.tensor(float('nan')), loss_cls=torch.tensor(1.0),
                   loss_dist=torch.tensor(float('inf')))
    runner = fake_runner(iteration=6, epoch=1, last_ckpt='work/epoch_1.pth')
    with pytest.raises(NonFiniteError) as error:
        NonFiniteCheckHook().after_train_iter(runner, batch_idx=0, outputs=outputs)
    assert str(error.value).startswith(
        'non-finite loss at iteration 7 (epoch 2, batch 1): loss_dist = inf; training '
        'stopped before saving it. The last checkpoint is work/epoch_1.pth.')


def test_non_finite_total_is_named_when_no_term_is():
    outputs = dict(loss=torch.tensor(float('nan')), accuracy=torch.tensor(float('nan')))
    with pytest.raises(NonFiniteError, match=r': loss = nan;.*No checkpoint was saved yet'):
        NonFiniteCheckHook().after_train_iter(fake_runner(), 0, outputs=outputs)


def test_non_finite_gradients_are_left_to_amp_loss_scaling():
    # Under fp16 AMP a step may have inf gradients with a finite loss: the loss scaler
    # skips that step; the hook must not stop the run.
    runner = fake_runner()
    runner.model = nn.Linear(2, 2)
    runner.model.weight.grad = torch.full_like(runner.model.weight, float('inf'))
    NonFiniteCheckHook().after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(0.7)))


def test_non_finite_weights_are_never_saved():
    hook = NonFiniteCheckHook()
    runner = fake_runner(iteration=12, last_ckpt='work/epoch_1.pth')
    hook.before_save_checkpoint(runner, dict(state_dict={
        'w': torch.ones(3), 'steps': torch.tensor(4)}))
    with pytest.raises(NonFiniteError, match=r'non-finite weights in head.fc.weight after '
                                             r'iteration 12: refusing to save'):
        hook.before_save_checkpoint(runner, dict(state_dict={
            'w': torch.ones(3), 'head.fc.weight': torch.tensor([1.0, float('nan')])}))
