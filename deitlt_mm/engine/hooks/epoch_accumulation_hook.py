"""Gradient accumulation windows that restart every epoch, as in the DeiT-LT reference."""
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from ...registry import HOOKS


@HOOKS.register_module()
class EpochAccumulationHook(Hook):
    """Make ``optim_wrapper.accumulative_counts`` accumulate as the reference does.

    The reference (``engine.py`` of val-iisc/DeiT-LT, ``--accum-iter``) divides every
    loss by ``accum_iter``, steps the optimizer after batch ``i`` of an epoch when
    ``(i + 1) % accum_iter == 0`` *or* ``i`` is the epoch's last batch, and zeroes the
    gradients then: windows restart at every epoch, and an epoch's last, shorter window
    still steps (with its gradient summed over fewer batches, each divided by
    ``accum_iter``). mmengine counts windows over the whole run instead: they run across
    epoch ends, and only the run's last window is shortened (divided by its length).
    With the paper's CIFAR runs (43 iterations per epoch and GPU, ``accumulative_counts=4``)
    the two give different steps.

    ``before_train_epoch`` restarts mmengine's count for the epoch: the optimizer wrapper
    then steps at every ``accumulative_counts``-th iteration of the epoch and at its last
    one (of ``IterBudgetTrainLoop``'s cut last epoch, its last iteration before
    ``max_iters``), and divides every loss by ``accumulative_counts``. As a window never
    spans two epochs, no accumulated gradient is lost at a checkpoint, so ``--resume``
    stays bit-identical. Without accumulation, or with another train loop, it does
    nothing.

    ``configs/_base_/deitlt_default_hooks.py`` registers it among the default hooks.
    """

    priority = 'NORMAL'

    def before_train_epoch(self, runner) -> None:
        wrapper = runner.optim_wrapper
        accumulation = getattr(wrapper, '_accumulative_counts', 1)
        if accumulation == 1 or not isinstance(runner.train_loop, EpochBasedTrainLoop):
            return
        # mmengine's OptimWrapper state (see OptimWrapper.initialize_count_status, which
        # would also repeat its BatchNorm warning every epoch): count from the epoch's
        # start, the window ends at the epoch's last iteration, and with no "remainder"
        # every loss is divided by accumulative_counts, the last window's too.
        # An epoch resumed in its middle (PreemptionCheckpointHook) counts the
        # iterations it has done: its windows keep their places.
        epoch_start = runner.epoch * len(runner.train_dataloader)
        wrapper._inner_count = runner.iter - epoch_start
        # The epoch's iterations: all batches, or what is left of a budget in iterations
        # (IterBudgetTrainLoop cuts its last epoch at max_iters).
        wrapper._max_counts = min(len(runner.train_dataloader), runner.max_iters - epoch_start)
        wrapper._remainder_counts = 0
