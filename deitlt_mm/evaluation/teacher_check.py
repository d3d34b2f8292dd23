"""Is a distillation teacher worth distilling from? Two checks on its test predictions.

A student distilled from a collapsed or untrained teacher inherits it silently, so
``LongTailAccuracy`` runs :func:`check_teacher` on the teacher's top-1 predictions
(``pred_score_teacher``) and logs a WARNING when either check fails:

* **collapse**: the most predicted class takes more than ``MAX_COLLAPSE`` (half)
  of the way from its fair share to all predictions: share ``>`` fair ``+ 0.5 *
  (100 - fair)`` %, where fair is the largest class share of the evaluation
  labels (``100 / C`` on a balanced test set: 55 % for 10 classes, about 50 % for
  1000; for a 2-class balanced set 75 %).
* **near chance**: the mean per-class accuracy (over classes with test images,
  ``C'`` of them) is below ``MIN_SKILL`` (a tenth) of the way from chance to
  perfect: ``< 100 / C' + 0.1 * (100 - 100 / C')`` % (19 % for 10 classes, about
  10 % for 1000). Every constant or random predictor scores ``100 / C'`` here,
  whatever the test set's class balance.
"""
from typing import Dict, Union

import numpy as np

MAX_COLLAPSE = 0.5
MIN_SKILL = 0.1


def check_teacher(pred_labels: np.ndarray, gt_labels: np.ndarray,
                  num_classes: int) -> Dict[str, Union[bool, float, int, str]]:
    """Collapse and near-chance checks of a teacher's predictions (see module doc).

    Args:
        pred_labels (np.ndarray): the teacher's top-1 class per sample, ``[N]``.
        gt_labels (np.ndarray): the true class per sample, ``[N]``.
        num_classes (int): ``C``.

    Returns:
        dict: ``top_class`` (most predicted class), ``top_class_share`` and its
        limit ``max_top_class_share``, ``mean_class_accuracy`` and its limit
        ``min_mean_class_accuracy`` (all %), ``degenerate`` (bool) and
        ``message`` (the warning text, empty when healthy).
    """
    pred_labels = np.asarray(pred_labels, dtype=np.int64)
    gt_labels = np.asarray(gt_labels, dtype=np.int64)
    predicted = np.bincount(pred_labels, minlength=num_classes)
    images = np.bincount(gt_labels, minlength=num_classes)
    top_class = int(predicted.argmax())
    top_share = 100.0 * predicted[top_class] / len(pred_labels)
    fair_share = 100.0 * images.max() / len(gt_labels)
    max_share = fair_share + MAX_COLLAPSE * (100.0 - fair_share)

    present = images > 0
    correct = np.bincount(gt_labels, weights=pred_labels == gt_labels, minlength=num_classes)
    mean_class_accuracy = float(100.0 * (correct[present] / images[present]).mean())
    chance = 100.0 / present.sum()
    min_accuracy = chance + MIN_SKILL * (100.0 - chance)

    problems = []
    if top_share > max_share:
        problems.append(f'class {top_class} takes {top_share:.1f} % of its predictions '
                        f'(limit {max_share:.1f} %: halfway from the largest class share of '
                        f'the labels, {fair_share:.1f} %, to 100 %)')
    if mean_class_accuracy < min_accuracy:
        problems.append(f'its mean per-class accuracy is {mean_class_accuracy:.1f} %, near '
                        f'chance {chance:.1f} % (limit {min_accuracy:.1f} %: a tenth of the '
                        'way from chance to 100 %)')
    message = ''
    if problems:
        message = ('The teacher looks degenerate: ' + '; '.join(problems) + '. The student '
                   'distils from it; check teacher_checkpoint, teacher_label_order and how '
                   'the teacher was trained.')
    return dict(top_class=top_class, top_class_share=float(top_share),
                max_top_class_share=float(max_share),
                mean_class_accuracy=mean_class_accuracy,
                min_mean_class_accuracy=float(min_accuracy), degenerate=bool(problems),
                message=message)
