"""Training class counts: counted once, handed to losses and metrics, kept in checkpoints."""
from typing import List, Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...datasets.utils import get_class_counts
from ...registry import HOOKS

# Key in a checkpoint's ``meta``: training images per class (list of int).
CHECKPOINT_META_KEY = 'train_class_counts'


def _receivers(objects) -> list:
    """Those of ``objects`` that take the training class counts (``set_class_counts``)."""
    return [obj for obj in objects if callable(getattr(obj, 'set_class_counts', None))]


@HOOKS.register_module()
class TrainClassCountsHook(Hook):
    """The one source of the training class counts of a run.

    Configs carry no count lists; every component that needs the training images per
    class has a ``set_class_counts(counts)`` method (``[C]`` ints) and gets them from
    here:

    * ``before_train``: counts the training set (:func:`get_class_counts`) and calls
      ``set_class_counts`` of every module of the model that has it (losses:
      ``DRWDistillLoss``, ``LDAMLoss``, ``DRWCrossEntropyLoss``, ``PaCoLoss``), before
      the first ``before_train_epoch`` / ``before_train_iter``, so before the first
      step and before ``DRWHook`` switches anything, whatever the hooks' order;
    * ``before_save_checkpoint``: stores them in ``checkpoint['meta']['train_class_counts']``;
    * ``after_load_checkpoint``: reads them from there when nothing was counted
      (``tools/test.py`` evaluating a checkpoint of this code base); a file without
      them (a converted published checkpoint) leaves the counts unknown (None);
    * ``before_val`` / ``before_test``: calls ``set_class_counts(counts)`` (None when
      unknown) on every metric of the evaluator that has it (``LongTailAccuracy``: the
      shot-based split, and the counts in its results and per-class plot).

    ``configs/_base_/deitlt_default_hooks.py`` registers it among the default hooks.
    """

    priority = 'NORMAL'

    def __init__(self):
        self.counts: Optional[List[int]] = None

    def before_train(self, runner) -> None:
        self.counts = get_class_counts(runner.train_dataloader.dataset).tolist()
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        receivers = _receivers(model.modules())
        for module in receivers:
            module.set_class_counts(self.counts)
        if receivers:
            names = ', '.join(sorted({type(m).__name__ for m in receivers}))
            runner.logger.info(f'TrainClassCountsHook: training class counts {self.counts} '
                               f'handed to {names}.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.counts is not None:
            checkpoint.setdefault('meta', {})[CHECKPOINT_META_KEY] = list(self.counts)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        stored = (checkpoint.get('meta') or {}).get(CHECKPOINT_META_KEY)
        if self.counts is None and stored is not None:
            self.counts = [int(c) for c in np.asarray(stored).reshape(-1)]

    def before_val(self, runner) -> None:
        for metric in _receivers(runner.val_evaluator.metrics):
            metric.set_class_counts(self.counts)

    def before_test(self, runner) -> None:
        for metric in _receivers(runner.test_evaluator.metrics):
            metric.set_class_counts(self.counts)
