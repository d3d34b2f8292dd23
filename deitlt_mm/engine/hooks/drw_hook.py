"""Deferred re-weighting switch: one place that owns the DRW state of a run."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS


@HOOKS.register_module()
class DRWHook(Hook):
    """Switch class-balanced weighting (and optionally Mixup/CutMix off) at epoch or
    iteration ``drw``.

    The switch only: the class weights come from the training class counts, which
    ``TrainClassCountsHook`` (a default hook) hands to the losses at ``before_train``,
    before any epoch or iteration starts.

    * ``before_train``: finds the model's DRW modules (those with a ``drw_active``
      flag, e.g. ``DRWDistillLoss``, ``LDAMLoss``) and keeps the data preprocessor's
      batch augments to restore.
    * ``before_train_epoch`` (``by_epoch=True``) or ``before_train_iter``
      (``by_epoch=False``): DRW is active iff ``runner.epoch >= drw``
      (``runner.iter >= drw``), the 0-based epoch (iteration) about to run, so a run
      resumed past ``drw`` is in DRW mode from its first step. The flag is written
      to ``drw_active`` of those modules. With ``no_mixup_drw``, the data
      preprocessor's ``batch_augments`` is set to None and its ``to_onehot`` off
      while DRW is active (samples then carry hard ``gt_label`` only, so the CLS
      loss is plain CE), and both are restored when DRW is inactive. The switch
      is logged and applied when the state changes.

    ``by_epoch=False`` places DRW by iteration, for a budget in iterations
    (``IterBudgetTrainLoop``, the demo configs): the phase then stays where the
    config puts it whatever the dataset's size.

    Args:
        drw (int): first epoch (iteration with ``by_epoch=False``), 0-based, with DRW.
        no_mixup_drw (bool): switch batch augments off under DRW. Defaults to True.
        by_epoch (bool): ``drw`` counts epochs (True, default) or iterations.
    """

    def __init__(self, drw: int, no_mixup_drw: bool = True, by_epoch: bool = True):
        self.by_epoch = by_epoch
        self.unit = 'epoch' if by_epoch else 'iteration'
        if isinstance(drw, bool) or not isinstance(drw, int) or drw < 0:
            raise ValueError(f'drw must be a non-negative {self.unit} (int), got {drw!r}.')
        self.drw = drw
        self.no_mixup_drw = no_mixup_drw
        self.active: Optional[bool] = None
        self._batch_augments = None
        self._to_onehot = None

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    @staticmethod
    def _drw_modules(model):
        return [module for module in model.modules() if hasattr(module, 'drw_active')]

    def before_train(self, runner) -> None:
        model = self._model(runner)
        modules = self._drw_modules(model)
        if not modules:
            raise RuntimeError('DRWHook: the model has no module with a drw_active flag '
                               '(e.g. DRWDistillLoss); nothing to re-weight.')
        preprocessor = model.data_preprocessor
        self._batch_augments = getattr(preprocessor, 'batch_augments', None)
        self._to_onehot = getattr(preprocessor, 'to_onehot', None)
        runner.logger.info(f'DRWHook: DRW from {self.unit} {self.drw} in '
                           f'{len(modules)} loss module(s).')

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._switch(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.by_epoch:
            self._switch(runner, runner.iter)

    def _switch(self, runner, position: int) -> None:
        """Set the DRW state of 0-based ``position`` (an epoch or an iteration)."""
        active = position >= self.drw
        if active == self.active:
            return
        model = self._model(runner)
        for module in self._drw_modules(model):
            module.drw_active = active
        if self.no_mixup_drw:
            preprocessor = model.data_preprocessor
            preprocessor.batch_augments = None if active else self._batch_augments
            preprocessor.to_onehot = False if active else self._to_onehot
        state = 'on' if active else 'off'
        mixup = ', batch augments off' if active and self.no_mixup_drw else ''
        runner.logger.info(f'DRWHook: {self.unit} {position}: DRW {state}{mixup}.')
        self.active = active
