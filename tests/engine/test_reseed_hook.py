"""ReseedHook: random streams from (seed, position, rank), whatever loads the data."""
import random
from types import SimpleNamespace

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from torch.utils.data import DataLoader, Dataset

from deitlt_mm.engine.hooks import ReseedHook
from deitlt_mm.engine.hooks import reseed_hook as reseed_module

NUM_SAMPLES = 12
EPOCHS = 3


class RandomDrawDataset(Dataset):
    """Each sample is a draw of python's, numpy's and torch's global generators."""

    def __init__(self, length=NUM_SAMPLES):
        self.length = length

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        return index, (random.random(), float(np.random.rand()), float(torch.rand(())))


def fake_runner(loader, loop_type=EpochBasedTrainLoop, seed=7):
    loop = loop_type.__new__(loop_type)  # only its type matters here
    return SimpleNamespace(train_loop=loop, train_dataloader=loader, seed=seed, epoch=0,
                           iter=0, optim_wrapper=None, logger=MMLogger.get_current_instance())


def draws_per_epoch(num_workers, persistent_workers, seed=7):
    """``{epoch: {index: draws}}`` over EPOCHS epochs of a shuffled loader."""
    loader = DataLoader(RandomDrawDataset(), batch_size=5, shuffle=True,
                        generator=torch.Generator().manual_seed(0), num_workers=num_workers,
                        persistent_workers=persistent_workers, collate_fn=list)
    hook = ReseedHook()
    runner = fake_runner(loader, seed=seed)
    hook.before_train(runner)
    draws = {}
    for epoch in range(EPOCHS):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        draws[epoch] = {index: values for batch in loader for index, values in batch}
    return draws


def test_sample_draws_do_not_depend_on_workers_and_change_every_epoch():
    in_main = draws_per_epoch(num_workers=0, persistent_workers=False)
    assert draws_per_epoch(num_workers=2, persistent_workers=False) == in_main
    assert draws_per_epoch(num_workers=2, persistent_workers=True) == in_main
    for index in range(NUM_SAMPLES):
        per_epoch = [in_main[epoch][index] for epoch in range(EPOCHS)]
        assert len(set(per_epoch)) == EPOCHS, f'sample {index} repeats a draw across epochs'
    # Different samples of one epoch, and another seed, draw differently.
    assert len({values for values in in_main[0].values()}) == NUM_SAMPLES
    assert draws_per_epoch(num_workers=0, persistent_workers=False, seed=8) != in_main


def test_iteration_streams_follow_seed_iteration_and_rank(monkeypatch):
    hook = ReseedHook()
    runner = fake_runner(loader=None)

    def draws_at(iteration, rank=0):
        monkeypatch.setattr(reseed_module, 'get_rank', lambda: rank)
        runner.iter = iteration
        hook.before_train_iter(runner, batch_idx=0)
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    first = draws_at(5)
    random.random(), np.random.rand(), torch.rand(3)  # whatever ran in between
    assert draws_at(5) == first
    assert draws_at(6) != first
    assert draws_at(5, rank=1) != first


def test_iteration_based_loop_keeps_mmengine_sample_seeding():
    dataset = RandomDrawDataset()
    runner = fake_runner(SimpleNamespace(dataset=dataset), loop_type=IterBasedTrainLoop)
    runner.logger = SimpleNamespace(warning=lambda message: warnings.append(message))
    warnings = []
    ReseedHook().before_train(runner)
    assert not hasattr(dataset, '__getitems__')
    assert warnings and 'IterBasedTrainLoop is not epoch-based' in warnings[0]
