"""Check every class count of the model against the dataset's when a run starts."""
from typing import Dict, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...errors import NumClassesError
from ...registry import HOOKS


@HOOKS.register_module()
class NumClassesCheckHook(Hook):
    """Refuse to start when a ``num_classes`` of the model differs from the dataset's.

    Class counts of the model: every module with an int ``num_classes`` attribute,
    in the student (heads, data preprocessor, losses) and in the teacher that
    ``DistillClassifier`` keeps outside its module tree (but for the teacher's data
    preprocessor, which is never used: the teacher gets the student's batch). The
    dataset's count is ``len(dataset.metainfo['classes'])`` (a dataset without it is
    not checked).

    Without this check a mismatch shows late: an IndexError in the loss, wrong
    one-hot Mixup targets, or a failure only at the DRW epoch when the re-weighting
    vector meets the logits. Checked in ``before_train`` (training and validation
    sets), ``before_val`` and ``before_test``, before any batch is loaded.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self.check(runner, runner.train_dataloader.dataset, 'training')
        if runner.val_loop is not None:
            self.check(runner, runner.val_loop.dataloader.dataset, 'validation')

    def before_val(self, runner) -> None:
        self.check(runner, runner.val_loop.dataloader.dataset, 'validation')

    def before_test(self, runner) -> None:
        self.check(runner, runner.test_loop.dataloader.dataset, 'test')

    @staticmethod
    def check(runner, dataset, split: str) -> None:
        """Raise :class:`NumClassesError` if a model class count differs from ``dataset``'s."""
        classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
        if not classes:
            return
        counts = model_class_counts(runner.model)
        # Heads first: the usual key to fix, and the one the hint names.
        wrong = {key: counts[key] for key in sorted(counts, key=lambda k: ('head' not in k, k))
                 if counts[key] != len(classes)}
        if wrong:
            found = ', '.join(f'{key} = {count}' for key, count in wrong.items())
            example = next(iter(wrong))
            raise NumClassesError(
                f'class count mismatch: the {split} dataset ({type(dataset).__name__}) has '
                f'{len(classes)} classes but {found}; set them to {len(classes)} '
                f'(e.g. --cfg-options {example}={len(classes)}) or use the matching dataset')


def model_class_counts(model) -> Dict[str, int]:
    """``{'model.<module>.num_classes': count}`` of the model and its teacher, if any."""
    model = model.module if is_model_wrapper(model) else model
    parts = [('model', model)]
    teacher: Optional[object] = getattr(model, 'teacher', None)
    if teacher is not None and hasattr(teacher, 'named_modules'):
        parts.append(('model.teacher', teacher))
    counts = {}
    for prefix, root in parts:
        for name, module in root.named_modules():
            if prefix == 'model.teacher' and name.startswith('data_preprocessor'):
                continue  # unused: the teacher gets the student's preprocessed batch
            count = getattr(module, 'num_classes', None)
            if isinstance(count, int) and not isinstance(count, bool):
                counts[f'{prefix}.{name}.num_classes' if name else f'{prefix}.num_classes'] = count
    return counts
