"""The student of a run's config on its own, without its teacher.

A ``DistillClassifier``'s teacher takes part in training and in scoring the teacher,
never in the student's predictions: inference (:func:`deitlt_mm.apis.init_model`) and a
test run whose teacher file is missing (:func:`score_without_missing_teacher`, called
by :func:`deitlt_mm.runtime.prepare_cfg`) use the student alone.
"""
import copy
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from ..fileio import is_url
from ..models.classifiers.distill_classifier import DistillClassifier
from ..registry import MODELS, SCOPE

# DistillClassifier arguments that only concern its teacher.
TEACHER_ARGUMENTS = ('teacher', 'teacher_checkpoint', 'teacher_size', 'teacher_label_order',
                     'teacher_class_map_file')


def is_distill_classifier(cfg: Config) -> bool:
    """Whether ``cfg.model`` builds a ``DistillClassifier`` (or a subclass)."""
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', SCOPE)):
        model_type = cfg.model.get('type')
        model_class = MODELS.get(model_type) if isinstance(model_type, str) else model_type
    return isinstance(model_class, type) and issubclass(model_class, DistillClassifier)


def student_model_cfg(cfg: Config) -> dict:
    """The model config of ``cfg`` as it predicts on its own.

    A ``DistillClassifier`` becomes an ``ImageClassifier`` of the same backbone, neck,
    head and data preprocessor: the teacher takes part in training and in scoring the
    teacher, never in the student's predictions, and a student checkpoint holds no
    teacher weights (so no teacher file is needed). The state-dict keys stay the same.
    Any other model config is returned as it is. A top-level ``data_preprocessor``
    moves into the model, as mmengine's Runner does.
    """
    model_cfg = copy.deepcopy(cfg.model)
    if is_distill_classifier(cfg):
        for key in TEACHER_ARGUMENTS:
            model_cfg.pop(key, None)
        model_cfg['type'] = 'ImageClassifier'
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    return model_cfg


def score_without_missing_teacher(cfg: Config) -> Optional[str]:
    """For scoring: a student whose teacher file does not exist is scored on its own.

    When ``cfg.model`` is a ``DistillClassifier`` whose ``teacher_checkpoint`` is a
    local path that does not exist, ``cfg.model`` becomes :func:`student_model_cfg`
    (the same student, same keys, no teacher), so its CLS / DIST / AVG predictions are
    scored and the TEACHER row is left out; this is logged in one line. A teacher file
    that exists, or an ``http(s)://`` address, is kept (and scored). Training keeps
    refusing a missing teacher file: only evaluation may go without it.

    Args:
        cfg (Config): a run config, changed in place.

    Returns:
        str | None: the line logged, None when the config is left as it is.
    """
    model = cfg.get('model') or {}
    path = model.get('teacher_checkpoint')
    if not isinstance(path, str) or is_url(path) or osp.isfile(path) or \
            not is_distill_classifier(cfg):
        return None
    cfg.model = student_model_cfg(cfg)
    message = (f'teacher_checkpoint {path!r} does not exist: scoring the student alone (no '
               'TEACHER row); set model.teacher_checkpoint=PATH_OR_URL to score its teacher too')
    print_log(message, logger='current')
    return message
