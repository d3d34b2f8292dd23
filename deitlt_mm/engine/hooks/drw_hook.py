"""Deferred re-weighting switch: one place that owns the DRW state of a run."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...datasets.utils import get_class_counts
from ...registry import HOOKS


@HOOKS.register_module()
class DRWHook(Hook):
    """Switch class-balanced weighting (and optionally Mixup/CutMix off) at epoch ``drw``.

    * ``before_train``: reads the training class counts with ``get_class_counts``
      and hands them to every module of the model that has ``set_class_counts``
      (e.g. ``DRWDistillLoss``, ``PaCoLoss``); configs never carry count lists.
      With ``drw=None`` that is all the hook does (a loss that needs the
      counts but has no re-weighting phase, e.g. PaCo's class prior).
    * ``before_train_epoch``: DRW is active iff ``runner.epoch >= drw`` (0-based
      epoch about to run), so a run resumed past ``drw`` is in DRW mode from its
      first epoch. The flag is written to ``drw_active`` of those modules. With
      ``no_mixup_drw``, the data preprocessor's ``batch_augments`` is set to None
      and its ``to_onehot`` off while DRW is active (samples then carry hard
      ``gt_label`` only, so the CLS loss is plain CE), and both are restored when
      DRW is inactive.

    Args:
        drw (int, optional): first epoch (0-based) with DRW; None: never (counts
            only).
        no_mixup_drw (bool): switch batch augments off under DRW. Defaults to True.
    """

    def __init__(self, drw: Optional[int], no_mixup_drw: bool = True):
        if drw is not None and drw < 0:
            raise ValueError(f'drw must be a non-negative epoch or None, got {drw}.')
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
        phase = 'no DRW' if self.drw is None else f'DRW from epoch {self.drw}'
        runner.logger.info(f'DRWHook: class counts {counts.tolist()} handed to '
                           f'{len(modules)} loss module(s); {phase}.')

    def before_train_epoch(self, runner) -> None:
        if self.drw is None:
            return
        active = runner.epoch >= self.drw
        model = self._model(runner)
        for module in self._drw_modules(model):
            module.drw_active = active
        if self.no_mixup_drw:
            preprocessor = model.data_preprocessor
            preprocessor.batch_augments = None if active else self._batch_augments
            preprocessor.to_onehot = False if active else self._to_onehot
        if active != self.active:
            state = 'on' if active else 'off'
            mixup = ', batch augments off' if active and self.no_mixup_drw else ''
            runner.logger.info(f'DRWHook: epoch {runner.epoch}: DRW {state}{mixup}.')
        self.active = active
