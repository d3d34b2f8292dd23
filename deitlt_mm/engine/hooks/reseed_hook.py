"""Random streams that depend only on the seed and the position in training."""
import hashlib
import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from ...registry import HOOKS

# Separate streams for the two kinds of positions (a training iteration, a loaded sample).
ITERATION_STREAM = 0
SAMPLE_STREAM = 1


def seed_generators(seed: int, *position: int, cuda: bool = True) -> None:
    """Seed python's ``random``, numpy's global and torch's default generators.

    The three seeds are slices of a BLAKE2 hash of ``(seed, *position)``, so nearby
    positions give unrelated streams (64-bit seeds for python and torch, 32-bit for
    numpy's legacy generator, as ``numpy.random.seed(int)`` takes).

    Args:
        seed (int): the run's seed (``runner.seed``).
        *position (int): ints naming the stream and the place in training.
        cuda (bool): also seed every CUDA device (``torch.manual_seed``, ~0.3 ms);
            False seeds the CPU generator only (~3 us), enough for data pipelines.
    """
    key = repr((int(seed), *(int(p) for p in position))).encode()
    digest = hashlib.blake2b(key, digest_size=20).digest()
    random.seed(int.from_bytes(digest[:8], 'little'))
    np.random.seed(int.from_bytes(digest[8:12], 'little'))
    torch_seed = int.from_bytes(digest[12:], 'little')
    if cuda:
        torch.manual_seed(torch_seed)
    else:
        torch.default_generator.manual_seed(torch_seed)


class SeededSampleLoader:
    """``dataset.__getitems__`` that loads each sample under its own seeds.

    torch's DataLoader fetches a batch with ``dataset.__getitems__(indices)`` when the
    dataset has it (in the main process and in workers alike). This loads every
    ``dataset[index]`` after :func:`seed_generators` ``(seed, SAMPLE_STREAM, rank,
    epoch, index)``, ``index`` being the sampler's index into the top-level dataset (so
    a sample repeated by ``RepeatDataset`` / ``ClassBalancedDataset`` gets its own draws).

    Args:
        dataset: the training dataset (map-style).
        seed (int): the run's seed.
        rank (int): this process's rank (DDP pads ranks with repeated indices).
        epoch (torch.Tensor): 0-d int64 tensor in shared memory holding the epoch; workers
            read it at every batch, so persistent workers follow the main process.
    """

    def __init__(self, dataset, seed: int, rank: int, epoch: torch.Tensor):
        self.dataset = dataset
        self.seed = seed
        self.rank = rank
        self.epoch = epoch

    def __call__(self, indices) -> list:
        epoch = int(self.epoch)
        samples = []
        for index in indices:
            seed_generators(self.seed, SAMPLE_STREAM, self.rank, epoch, int(index), cuda=False)
            samples.append(self.dataset[index])
        return samples


@HOOKS.register_module()
class ReseedHook(Hook):
    """Make every random draw of training a function of (seed, position, rank).

    mmengine seeds each process once, at start, and its DataLoader ``worker_init_fn``
    seeds every worker alike each epoch; the global generators then run on, so a run
    resumed from a checkpoint draws different numbers than the run it continues, and
    non-persistent workers repeat one augmentation stream every epoch. With this hook:

    * **Per iteration** (``before_train_iter``): python's, numpy's and torch's (CPU and
      CUDA) global generators of the training process are reseeded from
      ``(seed, iteration, rank)``: batch random erasing, Mixup / CutMix (lambda,
      choice, permutation), DropPath and dropout draw the same numbers whenever
      iteration ``i`` is run.
    * **Per sample** (:class:`SeededSampleLoader`, installed in ``before_train``): each
      training sample is loaded under generators seeded from ``(seed, epoch, rank,
      index)``, so the whole pipeline (RandomResizedCrop, RandomFlip, RandAugment,
      ...) gives that sample the same result in the main process or any
      worker, persistent or not, whatever ``num_workers`` is, and a new one each epoch.

    ``seed`` is ``runner.seed`` (the ``randomness`` config, or the checkpoint's seed on
    resume). Nothing is stored in checkpoints: mmengine's ``EpochBasedTrainLoop``
    resumes at the start of the epoch after the last checkpoint, and this hook replays
    it exactly. Per-sample seeds follow ``runner.epoch``, which only an epoch-based
    loop advances; with another loop the data pipeline keeps mmengine's seeding (the
    hook logs a warning) and only the per-iteration reseeding applies. Gradient
    accumulation windows end with their epoch (``EpochAccumulationHook``), so no
    accumulated gradient is open at a checkpoint.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self.epoch = torch.zeros((), dtype=torch.int64).share_memory_()

    def before_train(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            runner.logger.warning(
                f'ReseedHook: {type(runner.train_loop).__name__} is not epoch-based; '
                'training samples keep mmengine\'s worker seeding (a resumed run does not '
                'replay their augmentation).')
            return
        dataset = runner.train_dataloader.dataset
        dataset.__getitems__ = SeededSampleLoader(dataset, runner.seed, get_rank(), self.epoch)

    def before_train_epoch(self, runner) -> None:
        self.epoch.fill_(runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        seed_generators(runner.seed, ITERATION_STREAM, get_rank(), runner.iter)
