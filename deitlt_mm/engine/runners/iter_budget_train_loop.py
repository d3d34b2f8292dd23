"""Epoch-based training whose length is a number of iterations, whatever the data size."""
import math
from itertools import islice
from typing import Dict, List, Optional, Tuple, Union

from mmengine.runner import EpochBasedTrainLoop
from mmengine.runner.loops import calc_dynamic_intervals
from torch.utils.data import DataLoader

from ...registry import LOOPS


@LOOPS.register_module()
class IterBudgetTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that stops after ``max_iters`` iterations.

    A budget in epochs means a different number of optimizer steps on every
    dataset (10x fewer images, 10x fewer steps); a budget in iterations does not.
    mmengine's ``IterBasedTrainLoop`` has one, but it streams the data without
    epochs, which the epoch-based machinery of this code base needs (per-epoch
    shuffling, ``ReseedHook``'s per-sample random streams, checkpoints and exact
    ``--resume`` at epoch ends). This loop keeps the epochs, whole shuffled passes
    over the data, and runs ``ceil(max_iters / len(dataloader))`` of them, the
    last one cut at ``max_iters``: e.g. 702 iterations are 6 epochs of 117 batches
    on 14,886 images, 117 epochs of 6 batches on 737 images, 6 epochs minus 18
    batches on 15,000 images.

    ``max_iters`` is exact, so the phases of a schedule are placed in iterations,
    as fractions of the budget computed in the config: ``by_epoch=False`` param
    schedulers (a scheduler without ``end`` ends at ``max_iters``, mmengine's
    default) and ``DRWHook(by_epoch=False)``. Epoch-based hooks (checkpoint and
    logger intervals, ``SAMRhoHook``) count the loop's epochs, whose number depends
    on the data.

    Args:
        runner (Runner): the runner.
        dataloader (DataLoader | dict): the training dataloader or its config.
        max_iters (int): training iterations (optimizer steps without accumulation).
        val_begin (int): first epoch after which to validate. Defaults to 1.
        val_interval (int, optional): validate every ``val_interval`` epochs and
            after the last one; None (default): after the last epoch only.
        dynamic_intervals (list[tuple[int, int]], optional): as
            ``EpochBasedTrainLoop``'s.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 max_iters: int,
                 val_begin: int = 1,
                 val_interval: Optional[int] = None,
                 dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        if isinstance(max_iters, bool) or not isinstance(max_iters, int) or max_iters < 1:
            raise ValueError(f'IterBudgetTrainLoop: max_iters must be a positive int, got '
                             f'{max_iters!r}.')
        if val_interval is not None and (not isinstance(val_interval, int) or val_interval < 1):
            raise ValueError(f'IterBudgetTrainLoop: val_interval must be a positive number of '
                             f'epochs or None (after the last epoch only), got {val_interval!r}.')
        # The epoch count needs the dataloader's length: built by the base class first.
        super().__init__(runner, dataloader, max_epochs=1, val_begin=val_begin,
                         val_interval=1 if val_interval is None else val_interval,
                         dynamic_intervals=dynamic_intervals)
        if len(self.dataloader) == 0:
            raise ValueError('IterBudgetTrainLoop: the training dataloader is empty (no batch '
                             'per epoch); check the dataset and batch_size / drop_last.')
        self._max_epochs = math.ceil(max_iters / len(self.dataloader))
        self._max_iters = max_iters
        if val_interval is None:
            # EpochBasedTrainLoop always validates after its last epoch.
            self.val_interval = self._max_epochs
            self.dynamic_milestones, self.dynamic_intervals = calc_dynamic_intervals(
                self.val_interval, dynamic_intervals)

    def run_epoch(self) -> None:
        """Iterate one epoch, or the part of it that is left of the budget."""
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        batches = islice(self.dataloader, self._max_iters - self._iter)
        for idx, data_batch in enumerate(batches):
            self.run_iter(idx, data_batch)
        self.runner.call_hook('after_train_epoch')
        self._epoch += 1
