"""Save a resumable checkpoint mid-epoch when the job is preempted, and resume from it."""
import glob
import os
import os.path as osp
import signal
from itertools import islice

import torch
from mmengine.dist import all_reduce, barrier, is_distributed, is_main_process
from mmengine.hooks import Hook

from ...fileio import atomic_write
from ...registry import HOOKS
from ...runtime.preemption import (
    TrainingPreempted,
    ignore_preemption_in_workers,
    preemption_signal,
)

# `preempted_iter_<completed iterations>.pth` in the work dir.
PREEMPTED_CHECKPOINT = 'preempted_iter_{}.pth'


class SkipFirstSamples:
    """A sampler whose next pass leaves out its first ``count`` indices.

    Wraps the training sampler of a run resumed in the middle of an epoch: the epoch's
    order (a function of the seed and the epoch) is drawn as usual and the indices of
    the batches already trained are dropped before any sample is loaded. Later passes
    are the wrapped sampler's own. ``len`` stays the whole epoch's, as the loop, the
    accumulation windows and the schedules count it.

    Args:
        sampler: the sampler (e.g. mmengine's ``DefaultSampler``).
        count (int): indices to drop from the next pass (batches done x batch size).
    """

    def __init__(self, sampler, count: int):
        self.sampler = sampler
        self.count = count

    def __iter__(self):
        count, self.count = self.count, 0
        return islice(iter(self.sampler), count, None)

    def __len__(self) -> int:
        return len(self.sampler)

    def __getattr__(self, name):
        # set_epoch, seed, ... of the wrapped sampler (DistSamplerSeedHook calls set_epoch).
        return getattr(self.sampler, name)


@HOOKS.register_module()
class PreemptionCheckpointHook(Hook):
    """Serve a preemption signal at the next iteration: checkpoint, then stop.

    :func:`deitlt_mm.runtime.preemption.exit_for_requeue_on_preemption` records
    SIGTERM / SIGUSR1. After every iteration that closes a gradient accumulation window
    (every iteration without accumulation), and after every validation, the ranks agree
    (an all-reduce of the flag, so a signal that reached one rank a moment early or late
    stops all of them at the same iteration) and, if one was signalled, rank 0 saves a
    full checkpoint ``preempted_iter_<n>.pth`` (weights, optimizer, schedulers, message
    hub; meta ``epoch`` = the epoch in progress, ``iter`` = ``n`` iterations done),
    replaces ``last_checkpoint`` atomically, every rank waits for it, and the hook
    raises :class:`TrainingPreempted`.

    Saves wait for the end of an accumulation window (at most ``accumulative_counts - 1``
    more iterations, seconds) instead of storing half-accumulated gradients: the
    checkpoint then has the same contents as an epoch-end one, and the window the
    resumed run starts is a whole one.

    Resuming from it (``--resume``), ``before_train`` finds the epoch unfinished
    (``iter > epoch x batches per epoch``) and wraps the sampler in
    :class:`SkipFirstSamples` for that epoch: the batches already trained are skipped
    by index, the random streams (``ReseedHook``: per iteration and per sample) and the
    accumulation windows (``EpochAccumulationHook``) continue where they stopped, and
    training ends with the weights of an uninterrupted run. The partial epoch's
    ``batch_idx`` counts from 0 (logging cadence only).

    DataLoader workers of the training and validation loaders ignore the preemption
    signals (Slurm sends them to every process of the job; torch's workers would die).
    A preemption checkpoint is deleted once ``last_checkpoint`` names a later one.
    """

    priority = 'LOWEST'  # after the optimizer step, the schedulers and other checkpoints

    def before_train(self, runner) -> None:
        # Slurm signals the workers too; only the main process may act on it.
        loader = runner.train_loop.dataloader
        ignore_preemption_in_workers(loader)
        if runner.val_loop is not None:
            ignore_preemption_in_workers(runner.val_loop.dataloader)
        done = runner.iter - runner.epoch * len(loader)
        if done <= 0:
            return
        batch_sampler = loader.batch_sampler
        batch_sampler.sampler = SkipFirstSamples(batch_sampler.sampler,
                                                 done * batch_sampler.batch_size)
        runner.logger.info(f'PreemptionCheckpointHook: resuming epoch {runner.epoch + 1} '
                           f'after its batch {done}; skipping the {done} batches trained.')

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        should_update = getattr(runner.optim_wrapper, 'should_update', None)
        if should_update is not None and not should_update():
            return  # inside an accumulation window
        # mmengine's save meta for a position inside the epoch: iterations done.
        self._stop_if_signalled(runner, dict(epoch=runner.epoch, iter=runner.iter + 1))

    def after_val_epoch(self, runner, metrics=None) -> None:
        # Validation during training follows the epoch's end: the loop has counted it.
        if runner.train_loop is not None and runner.train_loop.iter > 0:
            self._stop_if_signalled(runner, dict(epoch=runner.epoch, iter=runner.iter))

    def after_train_epoch(self, runner) -> None:
        if not is_main_process():
            return
        last = osp.join(runner.work_dir, 'last_checkpoint')
        named = open(last).read().strip() if osp.isfile(last) else None
        for path in glob.glob(osp.join(runner.work_dir, PREEMPTED_CHECKPOINT.format('*'))):
            if osp.abspath(path) != osp.abspath(named or ''):
                os.remove(path)

    def _stop_if_signalled(self, runner, meta: dict) -> None:
        signum = preemption_signal()
        if is_distributed():
            flag = torch.tensor([0 if signum is None else int(signum)])
            all_reduce(flag, op='max')
            signum = int(flag) or None
        if signum is None:
            return
        filename = PREEMPTED_CHECKPOINT.format(meta['iter'])
        path = osp.join(runner.work_dir, filename)
        runner.save_checkpoint(runner.work_dir, filename, meta=meta, by_epoch=False)
        if is_main_process():
            atomic_write(osp.join(runner.work_dir, 'last_checkpoint'), path)
        barrier()  # no rank leaves (and makes a launcher kill the others) before the save
        raise TrainingPreempted(
            f'{signal.Signals(signum).name} received; saved {path} after iteration '
            f'{meta["iter"]} (epoch {meta["epoch"] + 1}) and updated last_checkpoint; '
            '`--resume` continues from it.')
