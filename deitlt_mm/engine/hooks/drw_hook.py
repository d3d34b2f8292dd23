"""Deferred re-weighting switch: one place that owns the DRW state of a run."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...datasets.utils import get_class_counts
from ...registry import HOOKS


@HOOKS.register_module()
class DRWHook(Hook):
    """Switch class-balanced weighting (and optionally Mixup/CutMix off) at epoch or
    iteration ``drw``.

    * ``before_train``: reads the training class counts with ``get_class_counts``
      and hands them to every module of the model that has ``set_class_counts``
      (e.g. ``DRWDistillLoss``, ``PaCoLoss``); configs never carry count lists.
      With ``drw=None`` that is all the hook does (a loss that needs the
      counts but has no re-weighting phase, e.g. PaCo's class prior).
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
        drw (int, optional): first epoch (iteration with ``by_epoch=False``), 0-based,
            with DRW; None: never (counts only).
        no_mixup_drw (bool): switch batch augments off under DRW. Defaults to True.
        by_epoch (bool): ``drw`` counts epochs (True, default) or iterations.
    """

    def __init__(self, drw: Optional[int], no_mixup_drw: bool = True, by_epoch: bool = True):
        self.by_epoch = by_epoch
        self.unit = 'epoch' if by_epoch else 'iteration'
        if drw is not None and drw < 0:
            raise ValueError(f'drw must be a non-negative {self.unit} or None, got {drw}.')
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
        return [module for module in model.modules() if hasattr(module, 'set_class_counts')]

    def before_train(self, runner) -> None:
        model = self._model(runner)
        modules = self._drw_modules(model)
        if not modules:
            raise RuntimeError('DRWHook: the model has no module with set_class_counts() '
                               '(e.g. DRWDistillLoss); nothing to re-weight.')
        counts = get_class_counts(runner.train_dataloader.dataset)
        for module in modules:
            module.set_class_counts(counts)
        preprocessor = model.data_preprocessor
        self._batch_augments = getattr(preprocessor, 'batch_augments', None)
        self._to_onehot = getattr(preprocessor, 'to_onehot', None)
        phase = 'no DRW' if self.drw is None else f'DRW from {self.unit} {self.drw}'
        runner.logger.info(f'DRWHook: class counts {counts.tolist()} handed to '
                           f'{len(modules)} loss module(s); {phase}.')

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._switch(runner, runner.epoch)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.by_epoch:
            self._switch(runner, runner.iter)

    def _switch(self, runner, position: int) -> None:
        """Set the DRW state of 0-based ``position`` (an epoch or an iteration)."""
        if self.drw is None:
            return
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
