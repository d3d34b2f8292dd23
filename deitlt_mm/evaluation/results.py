"""Structured long-tail results: what ``LongTailAccuracy`` computes, kept as such.

``LongTailAccuracy`` builds one :class:`LongTailResults` per evaluation. mmengine's
evaluator and loggers need flat scalars, so the metric returns
:meth:`LongTailResults.scalars` (``avg/top1``, ``cls/head``, ...), built from the
structure here and never parsed back: tables (``report.py``), plots (``plot.py``),
``tools/test.py`` (its ``--out`` JSON) and the demo use the structure itself.
"""
import json
import math
import numbers
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

GROUPS = ('head', 'mid', 'tail')
# The prediction of a plain classifier (its `pred_score` only): its scalar keys have no
# name level (`long_tail/top1`), as mmpretrain's Accuracy names them.
PLAIN = 'pred'
# (prediction name, data-sample field) of a student, in the order of the logged keys: the
# average first, so ``save_best='auto'`` picks ``avg/top1``. A new prediction is one line.
STUDENT_PREDICTIONS = (('avg', 'pred_score'), ('cls', 'pred_score_cls'),
                       ('dist', 'pred_score_dist'), ('teacher', 'pred_score_teacher'))


def prediction_fields(sample) -> List[Tuple[str, str]]:
    """``(prediction name, score field)`` of every prediction a data sample carries.

    A student's sample (``DualHead`` / ``DistillClassifier``) carries the fields of
    :data:`STUDENT_PREDICTIONS` it has, in that order; a sample with ``pred_score`` only
    is a plain classifier's: ``[('pred', 'pred_score')]``.
    """
    fields = [(name, key) for name, key in STUDENT_PREDICTIONS if key in sample]
    return [(PLAIN, 'pred_score')] if len(fields) == 1 else fields


@dataclass
class PredictionAccuracy:
    """Accuracy of one prediction (e.g. a student's CLS token), percentages 0-100.

    ``head`` / ``mid`` / ``tail``: mean of the group's per-class top-1 accuracies
    (classes with test images; NaN for an empty group). ``per_class``: top-1
    accuracy of every class, None for a class without test images. ``top5``: None
    with 5 classes or fewer.
    """
    top1: float
    head: float
    mid: float
    tail: float
    per_class: List[Optional[float]]
    top5: Optional[float] = None


@dataclass
class LongTailResults:
    """Every figure of one ``LongTailAccuracy`` evaluation.

    Attributes:
        predictions: prediction name (``avg``, ``cls``, ``dist``, ... or ``pred`` for a
            plain classifier) -> its :class:`PredictionAccuracy`, in the metric's order.
        class_groups: ``head`` / ``mid`` / ``tail`` of every class index.
        train_class_counts: training images per class, None when unknown.
        teacher_check: with a ``teacher`` prediction, the output of
            :func:`~deitlt_mm.evaluation.teacher_check.check_teacher` (its share of the
            most predicted class, ``degenerate``, the warning ``message``), else None.
        teacher_agreement: with ``teacher`` and ``dist`` predictions, the output of
            :func:`~deitlt_mm.evaluation.teacher_agreement.teacher_agreement` (per group:
            ``dist_agreement``, ``teacher_right_where_dist_wrong``, ...), else None.
    """
    predictions: Dict[str, PredictionAccuracy]
    class_groups: List[str]
    train_class_counts: Optional[List[int]] = field(default=None)
    teacher_check: Optional[dict] = field(default=None)
    teacher_agreement: Optional[Dict[str, dict]] = field(default=None)

    def scalars(self) -> Dict[str, float]:
        """Flat scalars for mmengine's logs: ``{name}/{figure}`` (``{figure}`` for a
        plain classifier), figures ``top1``, ``top5`` (if any), ``head``, ``mid``,
        ``tail``, in the order of :attr:`predictions`; with a teacher check also
        ``teacher/top_class_share`` and ``teacher/degenerate`` (1.0 or 0.0); with a
        teacher agreement ``teacher/dist_agreement/{group}`` and
        ``teacher/right_where_dist_wrong/{group}``."""
        scalars = {}
        for name, accuracy in self.predictions.items():
            prefix = '' if name == PLAIN else f'{name}/'
            for figure in ('top1', 'top5', *GROUPS):
                value = getattr(accuracy, figure)
                if value is not None:
                    scalars[prefix + figure] = value
        if self.teacher_check is not None:
            scalars['teacher/top_class_share'] = self.teacher_check['top_class_share']
            scalars['teacher/degenerate'] = float(self.teacher_check['degenerate'])
        for group, figures in (self.teacher_agreement or {}).items():
            scalars[f'teacher/dist_agreement/{group}'] = figures['dist_agreement']
            scalars[f'teacher/right_where_dist_wrong/{group}'] = \
                figures['teacher_right_where_dist_wrong']
        return scalars

    def to_dict(self) -> dict:
        """Plain JSON types (NaN stays a float, as Python's json writes it)."""
        return dict(predictions={name: asdict(accuracy)
                                 for name, accuracy in self.predictions.items()},
                    class_groups=list(self.class_groups),
                    train_class_counts=None if self.train_class_counts is None
                    else [int(c) for c in self.train_class_counts],
                    teacher_check=self.teacher_check,
                    teacher_agreement=self.teacher_agreement)

    @classmethod
    def from_dict(cls, data: dict) -> 'LongTailResults':
        """Inverse of :meth:`to_dict` (e.g. a ``long_tail`` entry of ``tools/test.py --out``)."""
        try:
            return cls(predictions={name: PredictionAccuracy(**figures)
                                    for name, figures in data['predictions'].items()},
                       class_groups=list(data['class_groups']),
                       train_class_counts=data.get('train_class_counts'),
                       teacher_check=data.get('teacher_check'),
                       teacher_agreement=data.get('teacher_agreement'))
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError('Not LongTailResults.to_dict() output: expected "predictions" '
                             '(name -> top1, head, mid, tail, per_class[, top5]) and '
                             f'"class_groups"; {error!r}') from error


def load_long_tail_results(path: str) -> Dict[str, LongTailResults]:
    """The ``long_tail`` results of a ``tools/test.py --out`` JSON, by metric prefix."""
    with open(path, encoding='utf-8') as f:
        content = json.load(f)
    entries = content.get('long_tail') if isinstance(content, dict) else None
    if not entries:
        raise ValueError(f'{path}: no "long_tail" results; expected the JSON that '
                         'tools/test.py --out writes for a config with LongTailAccuracy.')
    return {prefix: LongTailResults.from_dict(data) for prefix, data in entries.items()}


def to_jsonable(value):
    """Tensors / numpy values / nested containers -> plain JSON types."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Number) or value is None or isinstance(value, str):
        return value
    raise TypeError(f'cannot write {type(value).__name__} value {value!r} as JSON')


def is_missing(value: Optional[float]) -> bool:
    """None or NaN: a figure with nothing to report (an empty group, no top-5)."""
    return value is None or math.isnan(value)
