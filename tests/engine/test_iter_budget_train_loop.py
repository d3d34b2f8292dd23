"""IterBudgetTrainLoop: whole epochs, the last one cut at max_iters; exact resume."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from tests._runner_configs import tiny_classifier_cfg

# tiny_classifier_cfg: 24 training images in batches of 4 -> 6 iterations per epoch.
ITERS_PER_EPOCH = 6


class RecordLoop(Hook):
    """(epoch, iteration) at each epoch start, iterations of each epoch, epochs after which
    validation ran, lr of each iteration."""

    def __init__(self):
        self.epoch_starts, self.iters_per_epoch, self.validated_after, self.lrs = [], [], [], []

    def before_train_epoch(self, runner):
        self.epoch_starts.append((runner.epoch, runner.iter))
        self.iters_per_epoch.append(0)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.iters_per_epoch[-1] += 1
        self.lrs.append(runner.optim_wrapper.get_lr()['lr'][0])

    def after_val_epoch(self, runner, metrics=None):
        self.validated_after.append(runner.epoch)


def budget_runner(work_dir, max_iters, val_interval=None, checkpoint_interval=-1, **options):
    cfg = dict(tiny_classifier_cfg(work_dir), **options)
    cfg['train_cfg'] = dict(type='IterBudgetTrainLoop', max_iters=max_iters,
                            val_interval=val_interval)
    # The phase points of a budget are iterations; the cosine ends at max_iters.
    cfg['param_scheduler'] = [
        dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=4),
        dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=False, begin=4)]
    cfg['default_hooks']['checkpoint'] = dict(type='CheckpointHook',
                                              interval=checkpoint_interval)
    cfg['custom_hooks'] = [dict(type='ReseedHook')]
    runner = Runner.from_cfg(Config(cfg))
    record = RecordLoop()
    runner.register_hook(record)
    return runner, record


def test_runs_whole_epochs_and_cuts_the_last_at_max_iters(tmp_path):
    runner, record = budget_runner(tmp_path, max_iters=15)
    runner.train()
    assert record.iters_per_epoch == [6, 6, 3]
    assert (runner.train_loop.max_epochs, runner.iter, runner.epoch) == (3, 15, 3)
    # Validation after the last epoch only (val_interval=None); the checkpoint of the
    # last epoch only (interval -1, save_last).
    assert record.validated_after == [3]
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['epoch_3.pth']
    # Warm-up over iterations 0-3, then a cosine over iterations 4-14 whose period ends
    # at max_iters (mmengine's default end): T_max = 15 - 4.
    assert record.lrs[0] == pytest.approx(0.05 * 0.5)
    assert record.lrs[4] == pytest.approx(0.05)
    cosine_at_10_of_11 = 1e-4 + (0.05 - 1e-4) * (1 + math.cos(math.pi * 10 / 11)) / 2
    assert record.lrs[14] == pytest.approx(cosine_at_10_of_11)


def test_budget_below_one_epoch_is_one_partial_epoch(tmp_path):
    runner, record = budget_runner(tmp_path, max_iters=5)
    runner.train()
    assert record.iters_per_epoch == [5]
    assert runner.iter == 5


def test_val_interval_counts_epochs_and_the_last_always_validates(tmp_path):
    runner, record = budget_runner(tmp_path, max_iters=27, val_interval=2)
    runner.train()
    assert record.iters_per_epoch == [6, 6, 6, 6, 3]
    assert record.validated_after == [2, 4, 5]


def test_resume_from_an_epoch_checkpoint_ends_with_the_same_weights(tmp_path):
    full, full_record = budget_runner(tmp_path / 'full', max_iters=15, checkpoint_interval=1)
    full.train()
    resumed, record = budget_runner(tmp_path / 'resumed', max_iters=15, resume=True,
                                    load_from=str(tmp_path / 'full' / 'epoch_2.pth'))
    resumed.train()
    # The counters came back with the checkpoint: the run went on at epoch 2, iteration
    # 12, with the last 3 iterations of the budget and their learning rates.
    assert record.epoch_starts == [(2, 12)] and record.iters_per_epoch == [3]
    assert (resumed.epoch, resumed.iter) == (3, 15)
    assert record.lrs == full_record.lrs[12:]
    for (name, a), b in zip(full.model.state_dict().items(),
                            resumed.model.state_dict().values()):
        assert torch.equal(a, b), name


class CountSteps(Hook):
    """Optimizer steps of each epoch."""

    def __init__(self):
        self.steps = []

    def before_train(self, runner):
        step = runner.optim_wrapper.optimizer.step

        def counted_step(*args, **kwargs):
            self.steps[-1] += 1
            return step(*args, **kwargs)

        runner.optim_wrapper.optimizer.step = counted_step

    def before_train_epoch(self, runner):
        self.steps.append(0)


def test_accumulation_steps_at_the_end_of_the_cut_last_epoch(tmp_path):
    # EpochAccumulationHook: windows of 4 restart every epoch, an epoch's last, shorter
    # window steps: 6 iterations -> steps after 4 and 6; the cut last epoch of 3 -> after 3
    # (its gradient is not left unapplied).
    runner, _ = budget_runner(tmp_path, max_iters=15,
                              optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05),
                                                 accumulative_counts=4))
    count = CountSteps()
    runner.register_hook(dict(type='EpochAccumulationHook'))
    runner.register_hook(count)
    runner.train()
    assert count.steps == [2, 2, 1]


@pytest.mark.parametrize('max_iters', [0, 2.5, True])
def test_bad_budget_is_an_error(tmp_path, max_iters):
    with pytest.raises(ValueError, match='max_iters must be a positive int'):
        budget_runner(tmp_path, max_iters=max_iters)[0].train()
