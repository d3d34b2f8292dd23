"""EpochAccumulationHook: mmengine's accumulation as the reference's engine.py does it."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from deitlt_mm.engine.hooks import EpochAccumulationHook

ACCUMULATION, ITERS_PER_EPOCH, EPOCHS = 4, 7, 3


def batches(epoch):
    generator = torch.Generator().manual_seed(epoch)
    return [(torch.randn(2, 3, generator=generator), torch.randn(2, 1, generator=generator))
            for _ in range(ITERS_PER_EPOCH)]


def loss_of(model, batch):
    inputs, targets = batch
    return ((model(inputs) - targets) ** 2).mean()


def reference_weights():
    """The reference's loop: every loss / accum_iter; step and zero_grad after batch i of
    an epoch when (i + 1) % accum_iter == 0 or i is the epoch's last batch."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    steps = []
    for epoch in range(EPOCHS):
        for i, batch in enumerate(batches(epoch)):
            (loss_of(model, batch) / ACCUMULATION).backward()
            if (i + 1) % ACCUMULATION == 0 or i == ITERS_PER_EPOCH - 1:
                optimizer.step()
                optimizer.zero_grad()
                steps.append((epoch, i))
    return model, steps


def hooked_weights(hook):
    """mmengine's OptimWrapper driven as its epoch loop drives it, with ``hook``."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    wrapper = OptimWrapper(optimizer, accumulative_counts=ACCUMULATION)
    wrapper.initialize_count_status(model, 0, EPOCHS * ITERS_PER_EPOCH)  # Runner.train
    runner = SimpleNamespace(optim_wrapper=wrapper, train_dataloader=[None] * ITERS_PER_EPOCH,
                             train_loop=object.__new__(EpochBasedTrainLoop),
                             max_iters=EPOCHS * ITERS_PER_EPOCH)
    steps = []
    original_step = optimizer.step
    for epoch in range(EPOCHS):
        runner.epoch, runner.iter = epoch, epoch * ITERS_PER_EPOCH
        if hook is not None:
            hook.before_train_epoch(runner)
        for i, batch in enumerate(batches(epoch)):
            optimizer.step = lambda *a, e=epoch, i=i, **k: (steps.append((e, i)),
                                                            original_step(*a, **k))[1]
            wrapper.update_params(loss_of(model, batch))
    return model, steps


def test_steps_and_weights_equal_the_reference_loop():
    reference, reference_steps = reference_weights()
    ours, steps = hooked_weights(EpochAccumulationHook())
    # 7 iterations per epoch: steps after batches 4 and 7 (the shorter window) of each.
    assert steps == reference_steps == [(e, i) for e in range(EPOCHS) for i in (3, 6)]
    for ours_param, reference_param in zip(ours.parameters(), reference.parameters()):
        torch.testing.assert_close(ours_param, reference_param, rtol=0, atol=1e-7)


def test_an_epoch_resumed_in_its_middle_keeps_its_windows():
    # PreemptionCheckpointHook resumes epoch 1 after its 4 first batches (one window).
    wrapper = OptimWrapper(torch.optim.SGD(nn.Linear(3, 1).parameters(), lr=0.1),
                           accumulative_counts=ACCUMULATION)
    runner = SimpleNamespace(optim_wrapper=wrapper, train_dataloader=[None] * ITERS_PER_EPOCH,
                             train_loop=object.__new__(EpochBasedTrainLoop),
                             max_iters=EPOCHS * ITERS_PER_EPOCH, epoch=1,
                             iter=ITERS_PER_EPOCH + 4)
    EpochAccumulationHook().before_train_epoch(runner)
    assert (wrapper._inner_count, wrapper._max_counts) == (4, ITERS_PER_EPOCH)
    updates = []
    for _ in range(ITERS_PER_EPOCH - 4):
        wrapper._inner_count += 1  # as OptimWrapper.backward counts
        updates.append(wrapper.should_update())
    assert updates == [False, False, True]  # the epoch's last, shorter window steps


def test_without_the_hook_windows_cross_epoch_ends():
    _, reference_steps = reference_weights()
    _, steps = hooked_weights(None)
    assert steps != reference_steps
    assert steps[:3] == [(0, 3), (1, 0), (1, 4)]  # mmengine's run-wide windows


@pytest.mark.parametrize('accumulation,loop', [(1, EpochBasedTrainLoop),
                                               (4, IterBasedTrainLoop)])
def test_no_accumulation_or_an_iteration_loop_is_left_alone(accumulation, loop):
    wrapper = OptimWrapper(torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1),
                           accumulative_counts=accumulation)
    wrapper.initialize_count_status(nn.Linear(1, 1), 5, 100)
    runner = SimpleNamespace(optim_wrapper=wrapper, train_dataloader=[None] * 7,
                             train_loop=object.__new__(loop))
    EpochAccumulationHook().before_train_epoch(runner)
    assert (wrapper._inner_count, wrapper._max_counts) == (5, 100)
