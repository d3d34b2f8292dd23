"""Epoch-wise step schedule of SAM's ascent radius ``rho``."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from ...registry import HOOKS
from ..optimizers.sam_optim_wrapper import SAMOptimWrapper


@HOOKS.register_module()
class SAMRhoHook(Hook):
    """Set ``rho`` of the run's ``SAMOptimWrapper`` at the start of every epoch.

    ``rho(epoch) = values[k]`` where ``k`` is the number of ``milestones`` that
    are ``<= epoch`` (0-based epoch about to run). It is recomputed from
    ``runner.epoch`` each epoch, so a resumed run gets the right value. E.g. the
    ImageNet-LT recipe of SAM for long tails, ``milestones=[5, 60, 75]``,
    ``values=[0.05, 0.1, 0.5, 0.5]``: 0.05 for epochs 0-4, 0.1 for 5-59, 0.5
    from 60 on.

    Args:
        milestones (Sequence[int]): strictly increasing epochs ``> 0``.
        values (Sequence[float]): ``len(milestones) + 1`` non-negative radii.
    """

    def __init__(self, milestones: Sequence[int], values: Sequence[float]):
        milestones, values = list(milestones), list(values)
        if any(not isinstance(m, int) or m <= 0 for m in milestones) or any(
                b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f'SAMRhoHook: milestones must be strictly increasing positive '
                             f'epochs, got {milestones}.')
        if len(values) != len(milestones) + 1:
            raise ValueError(f'SAMRhoHook: values needs len(milestones) + 1 = '
                             f'{len(milestones) + 1} entries, got {len(values)}: {values}.')
        if any(not isinstance(v, (int, float)) or v < 0 for v in values):
            raise ValueError(f'SAMRhoHook: values must be non-negative numbers, got {values}.')
        self.milestones = milestones
        self.values = [float(v) for v in values]
        self.current: Optional[float] = None

    def rho_at(self, epoch: int) -> float:
        """The scheduled ``rho`` of 0-based ``epoch``."""
        return self.values[sum(epoch >= m for m in self.milestones)]

    def before_train(self, runner) -> None:
        if not isinstance(runner.optim_wrapper, SAMOptimWrapper):
            raise TypeError(f'SAMRhoHook: optim_wrapper must be a SAMOptimWrapper, got '
                            f'{type(runner.optim_wrapper).__name__}.')
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError(f'SAMRhoHook schedules rho by epoch and needs an epoch-based '
                            f'train loop, got {type(runner.train_loop).__name__}.')

    def before_train_epoch(self, runner) -> None:
        rho = self.rho_at(runner.epoch)
        runner.optim_wrapper.rho = rho
        if rho != self.current:
            runner.logger.info(f'SAMRhoHook: epoch {runner.epoch}: rho = {rho}.')
        self.current = rho
