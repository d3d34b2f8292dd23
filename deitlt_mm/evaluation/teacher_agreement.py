"""How the DIST token relates to its teacher, per head / mid / tail group."""
from typing import Dict, Sequence

import numpy as np

from .results import GROUPS


def teacher_agreement(dist_top1: np.ndarray, teacher_top1: np.ndarray, labels: np.ndarray,
                      class_groups: Sequence[str]) -> Dict[str, dict]:
    """Agreement of the student's DIST prediction with the teacher's, per class group.

    The DIST token is trained on the teacher's hard labels, so these figures show how
    much of the teacher it took over, where (head / mid / tail, by the image's true
    class), and what it could still learn from it.

    Args:
        dist_top1 (np.ndarray): ``[N]`` top-1 class of the DIST token per test image.
        teacher_top1 (np.ndarray): ``[N]`` top-1 class of the teacher.
        labels (np.ndarray): ``[N]`` true classes.
        class_groups (Sequence[str]): ``head`` / ``mid`` / ``tail`` of every class index.

    Returns:
        dict: ``{group: figures}`` for ``head``, ``mid``, ``tail``, figures:
        ``images`` (test images of the group), ``dist_wrong`` (of those, DIST wrong),
        ``dist_agreement`` (% of the images where DIST predicts the teacher's class,
        right or wrong), ``teacher_right_where_dist_wrong`` (% of the ``dist_wrong``
        images the teacher gets right). A percentage without images is NaN.
    """
    image_groups = np.asarray(class_groups)[labels]
    agree = dist_top1 == teacher_top1
    dist_wrong = dist_top1 != labels
    teacher_right = teacher_top1 == labels
    figures = {}
    for group in GROUPS:
        members = image_groups == group
        wrong = members & dist_wrong
        with np.errstate(invalid='ignore', divide='ignore'):
            figures[group] = dict(
                images=int(members.sum()), dist_wrong=int(wrong.sum()),
                dist_agreement=float(np.float64(agree[members].sum()) / members.sum() * 100),
                teacher_right_where_dist_wrong=float(
                    np.float64(teacher_right[wrong].sum()) / wrong.sum() * 100))
    return figures
