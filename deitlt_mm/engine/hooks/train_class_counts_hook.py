"""Training class counts for evaluation: train set -> checkpoint -> metrics."""
from typing import List, Optional

import numpy as np
from mmengine.hooks import Hook

from ...datasets.utils import get_class_counts
from ...registry import HOOKS

# Key in a checkpoint's ``meta``: training images per class (list of int).
CHECKPOINT_META_KEY = 'train_class_counts'


@HOOKS.register_module()
class TrainClassCountsHook(Hook):
    """Give the training class counts to the metrics that report or split by them.

    Evaluation sets do not carry training counts, and a test run does not build the
    training set; the counts travel through this hook instead:

    * ``before_train``: counts the training set (:func:`get_class_counts`);
    * ``before_save_checkpoint``: stores them in ``checkpoint['meta']['train_class_counts']``;
    * ``after_load_checkpoint``: reads them from there when nothing was counted
      (``tools/test.py`` evaluating a checkpoint of this code base); a file without
      them (a converted published checkpoint) leaves the counts unknown;
    * ``before_val`` / ``before_test``: calls ``set_train_class_counts(counts)`` on
      every metric of the evaluator that has it (``LongTailAccuracy``: the shot-based
      split, and the counts in its results and per-class plot).

    ``configs/_base_/default_runtime.py`` registers it among the default hooks.
    """

    priority = 'NORMAL'

    def __init__(self):
        self.counts: Optional[List[int]] = None

    def before_train(self, runner) -> None:
        self.counts = get_class_counts(runner.train_dataloader.dataset).tolist()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.counts is not None:
            checkpoint.setdefault('meta', {})[CHECKPOINT_META_KEY] = list(self.counts)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        stored = (checkpoint.get('meta') or {}).get(CHECKPOINT_META_KEY)
        if self.counts is None and stored is not None:
            self.counts = [int(c) for c in np.asarray(stored).reshape(-1)]

    @staticmethod
    def _metrics(evaluator) -> list:
        return [m for m in evaluator.metrics if hasattr(m, 'set_train_class_counts')]

    def before_val(self, runner) -> None:
        for metric in self._metrics(runner.val_evaluator):
            metric.set_train_class_counts(self.counts)

    def before_test(self, runner) -> None:
        for metric in self._metrics(runner.test_evaluator):
            metric.set_train_class_counts(self.counts)
