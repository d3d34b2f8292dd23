"""SAMRhoHook: rho per epoch from milestones / values, written into the SAM wrapper."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from deitlt_mm.registry import HOOKS, OPTIM_WRAPPERS


def sam_wrapper(rho=1.0):
    params = [torch.nn.Parameter(torch.zeros(2))]
    return OPTIM_WRAPPERS.build(dict(type='SAMOptimWrapper', rho=rho,
                                     optimizer=torch.optim.SGD(params, lr=0.1)))


def fake_runner(optim_wrapper, loop_type=EpochBasedTrainLoop):
    loop = loop_type.__new__(loop_type)
    return SimpleNamespace(optim_wrapper=optim_wrapper, train_loop=loop, epoch=0,
                           logger=MMLogger.get_current_instance())


def test_imagenet_lt_rho_steps_per_epoch():
    hook = HOOKS.build(dict(type='SAMRhoHook', milestones=[5, 60, 75],
                            values=[0.05, 0.1, 0.5, 0.5]))
    runner = fake_runner(sam_wrapper())
    hook.before_train(runner)
    expected = {0: 0.05, 4: 0.05, 5: 0.1, 59: 0.1, 60: 0.5, 74: 0.5, 75: 0.5, 89: 0.5}
    for epoch, rho in expected.items():
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert runner.optim_wrapper.rho == rho, epoch


def test_needs_sam_wrapper_and_epoch_loop():
    hook = HOOKS.build(dict(type='SAMRhoHook', milestones=[2], values=[0.1, 0.2]))
    plain = OPTIM_WRAPPERS.build(dict(type='OptimWrapper', optimizer=torch.optim.SGD(
        [torch.nn.Parameter(torch.zeros(1))], lr=0.1)))
    with pytest.raises(TypeError, match='must be a SAMOptimWrapper, got OptimWrapper'):
        hook.before_train(fake_runner(plain))
    with pytest.raises(TypeError, match='epoch-based train loop, got IterBasedTrainLoop'):
        hook.before_train(fake_runner(sam_wrapper(), IterBasedTrainLoop))


@pytest.mark.parametrize('milestones,values,message', [
    ([5, 5], [0.1, 0.2, 0.3], 'strictly increasing'),
    ([0], [0.1, 0.2], 'strictly increasing positive'),
    ([5], [0.1], 'needs len\\(milestones\\) \\+ 1 = 2 entries, got 1'),
    ([5], [0.1, -0.2], 'non-negative'),
])
def test_rejects_bad_schedules(milestones, values, message):
    with pytest.raises(ValueError, match=message):
        HOOKS.build(dict(type='SAMRhoHook', milestones=milestones, values=values))
