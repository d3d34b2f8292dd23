"""Tell the rank watchdog what this rank is doing."""
from mmengine.hooks import Hook

from ...registry import HOOKS
from ...runtime.rank_watchdog import report_phase


@HOOKS.register_module()
class RankPhaseHook(Hook):
    """Report this rank's phase to :mod:`deitlt_mm.runtime.rank_watchdog`.

    The phase (``training epoch <e>, iteration <i>``, ``validating after epoch <e>``,
    ``saving a checkpoint``, ``finished training``) goes with every heartbeat, so the
    line that stops the other ranks says what a dead or frozen rank was doing.
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        report_phase(f'training epoch {runner.epoch + 1}, iteration {runner.iter + 1}')

    def before_val_epoch(self, runner) -> None:
        report_phase(f'validating after epoch {runner.epoch}')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        report_phase(f'saving a checkpoint after iteration {runner.iter}')

    def after_train(self, runner) -> None:
        report_phase('finished training')
