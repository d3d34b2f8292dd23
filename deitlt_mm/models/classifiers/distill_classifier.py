"""Student classifier that distils from a frozen teacher inside ``loss``."""
import logging
import os.path as osp
from typing import List, Optional, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import print_log
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from ...datasets.class_map import class_order, load_class_map
from ...errors import CheckpointNotFoundError, ConfigValueError, NumClassesError
from ...fileio import is_url
from ...registry import MODELS
from ..utils.batch_cache import BatchCache
from ..utils.checkpoint_import import (
    classifier_layer,
    load_teacher_checkpoint,
    permute_classifier_rows,
)


@MODELS.register_module()
class DistillClassifier(ImageClassifier):
    """``ImageClassifier`` whose head also gets the logits of a frozen teacher.

    The teacher sees the batch exactly as the student does after the data
    preprocessor (normalised, Mixup/CutMix-mixed), resized with bicubic
    interpolation to ``teacher_size`` when that differs from the batch size
    (DeiT-LT's out-of-distribution distillation).

    The teacher is frozen and kept outside the module tree on purpose: it is not
    a registered submodule, so it has no entry in ``state_dict()`` (student
    checkpoints neither contain nor require it), ``parameters()`` (never in the
    optimizer) or ``train()`` (it stays in eval mode, BN statistics fixed). It is
    still moved and cast with the model, through :meth:`_apply`.

    Args:
        backbone, neck, head, pretrained, train_cfg, data_preprocessor, init_cfg:
            as in ``ImageClassifier``; the head's ``loss`` must accept
            ``teacher_logits`` (e.g. ``DualHead``).
        teacher (dict, optional): config of any classifier whose
            ``forward(x, mode='tensor')`` returns logits ``[B, C]``: an
            ``ImageClassifier`` (ResNet32 / ResNet50 teacher), a ``TimmClassifier``.
            None trains without a teacher (``distillation_type='none'``).
        teacher_checkpoint (str, optional): weights of the teacher: a PaCo file
            (converted on the fly) or a state dict in the teacher's own keys, a path or
            an ``http(s)://`` address (downloaded once into the download cache, see
            :func:`deitlt_mm.fileio.download_checkpoint`). A missing file is a
            ``FileNotFoundError`` (``CheckpointNotFoundError``) at construction.
        teacher_size (int, optional): side of the teacher's input; None keeps
            the student's size.
        teacher_label_order (str): the label order the teacher predicts in.
            ``'student'`` (default): the student's, i.e. the dataset's labels as the
            datasets deliver them (CIFAR teachers; every teacher trained with
            ``configs/teachers/``, whose datasets re-index ImageNet-LT / iNat by
            training frequency like the student's). ``'original'``: the dataset's
            original label order (the published ImageNet-LT / iNat PaCo teachers,
            the reference's ``--map-targets``); the teacher's classifier rows are
            then permuted once at load with ``teacher_class_map_file``, so its
            logits, its argmax (hard distillation), its softmax (soft
            distillation) and its evaluation are all in the student's order.
        teacher_class_map_file (str, optional): with ``'original'``, the dataset's
            class map (JSON of ``save_class_map``, original label -> frequency
            index); it must be the file the datasets load (their
            ``class_map_file``). ``tools/data/save_class_map.py CONFIG`` writes it
            from the training list; a missing file is a ``FileNotFoundError`` at
            construction.
        teacher_channels_last (bool): run the teacher in channels-last (NHWC) memory
            order: its weights are converted once at build, its input in
            :meth:`teacher_logits`. Same logits up to float rounding; on GPUs it is the
            layout tensor-core convolutions use, so a contiguous (NCHW) ResNet-50
            teacher pays a layout conversion around every convolution. Its
            ``state_dict`` keys are unchanged. Leave it False for the CIFAR
            ``ResNetCifarOptionA`` teachers, whose backbone converts itself
            (``channels_last=True``). Defaults to False.

    A teacher whose class count differs from the student head's, or whose map
    does not fit it, is a ``ValueError`` at construction.

    ``loss(inputs [B, 3, H, W], data_samples)`` returns the head's loss dict;
    ``predict`` adds the teacher's softmax ``pred_score_teacher`` ``[C]`` to every
    sample (the teacher sees the batch resized to ``teacher_size``, as in
    training), which ``LongTailAccuracy`` reports as ``teacher``.
    """

    teacher_label_orders = ('student', 'original')

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 teacher: Optional[dict] = None,
                 teacher_checkpoint: Optional[str] = None,
                 teacher_size: Optional[int] = None,
                 teacher_label_order: str = 'student',
                 teacher_class_map_file: Optional[str] = None,
                 teacher_channels_last: bool = False,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        if teacher is None and teacher_checkpoint is not None:
            raise ConfigValueError(
                'teacher_checkpoint is set but teacher (its model config) is None.')
        # Checked before building anything: a path typo must fail at once, not after a
        # DeiT-B build, and a run must never start with a randomly initialised teacher.
        if teacher_checkpoint is not None and not is_url(teacher_checkpoint) and \
                not osp.isfile(teacher_checkpoint):
            raise CheckpointNotFoundError(
                f'teacher_checkpoint {teacher_checkpoint!r} does not exist. Set the teacher '
                'weights with --cfg-options model.teacher_checkpoint=PATH (the configs under '
                'configs/deitlt/ and configs/demo/ also read DEITLT_TEACHER_CKPT).')
        teacher_row_order = self._teacher_row_order(teacher, teacher_label_order,
                                                    teacher_class_map_file)
        super().__init__(backbone=backbone, neck=neck, head=head, pretrained=pretrained,
                         train_cfg=train_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        distillation_type = getattr(getattr(self.head, 'loss_module', None),
                                    'distillation_type', 'none')
        if teacher is None and distillation_type != 'none':
            raise ConfigValueError(
                f"distillation_type={distillation_type!r} needs a teacher; set "
                "`teacher=dict(...)` or use distillation_type='none'.")
        if teacher_size is not None and teacher_size <= 0:
            raise ConfigValueError(
                f'teacher_size must be a positive int or None, got {teacher_size}.')
        self.teacher_size = teacher_size
        self.teacher_channels_last = teacher_channels_last
        # object.__setattr__ keeps the teacher out of nn.Module's registry (see above).
        object.__setattr__(self, 'teacher', self._build_teacher(
            teacher, teacher_checkpoint, teacher_row_order, teacher_class_map_file,
            teacher_channels_last))
        self._check_teacher_classes()
        self._teacher_cache = BatchCache()  # see _teacher_logits_once

    @classmethod
    def _teacher_row_order(cls, teacher: Optional[dict], label_order: str,
                             class_map_file: Optional[str]) -> Optional[np.ndarray]:
        """``order[student class] = teacher output`` for an original-order teacher, else None.

        Read before any model is built, so a wrong setting fails at once.
        """
        if label_order not in cls.teacher_label_orders:
            raise ConfigValueError(
                f'teacher_label_order must be one of {cls.teacher_label_orders}, '
                f'got {label_order!r}.')
        if label_order == 'student':
            if class_map_file is not None:
                raise ConfigValueError(
                    f"teacher_class_map_file={class_map_file!r} is set but "
                    "teacher_label_order='student' ignores it: set "
                    "teacher_label_order='original' for a teacher that predicts the "
                    "dataset's original labels (the published ImageNet-LT / iNat teachers), "
                    'or teacher_class_map_file=None for one trained on our frequency order.')
            return None
        if teacher is None:
            raise ConfigValueError("teacher_label_order='original' needs a teacher.")
        if class_map_file is None:
            raise ConfigValueError(
                "teacher_label_order='original' needs teacher_class_map_file: the dataset's "
                'class map file (the one its datasets load as class_map_file).')
        if not osp.isfile(class_map_file):
            raise FileNotFoundError(
                f'teacher_class_map_file {class_map_file!r} does not exist. The teacher '
                "predicts the dataset's original labels and this map (original label -> "
                'frequency index, the file the datasets load as class_map_file) re-orders '
                'it; write it once from the training list with '
                '`python tools/data/save_class_map.py CONFIG`.')
        class_map, _ = load_class_map(class_map_file)
        return class_order(class_map, class_map_file)

    @staticmethod
    def _build_teacher(teacher: Optional[dict], checkpoint: Optional[str],
                       row_order: Optional[np.ndarray] = None,
                       class_map_file: Optional[str] = None,
                       channels_last: bool = False) -> Optional[nn.Module]:
        if teacher is None:
            return None
        model = MODELS.build(teacher)
        if checkpoint is None:
            model.init_weights()
            print_log('DistillClassifier: teacher_checkpoint is None, so the teacher keeps '
                      'its random initial weights and its predictions are noise; set '
                      'model.teacher_checkpoint for any real run.', logger='current',
                      level=logging.WARNING)
        else:
            load_teacher_checkpoint(model, checkpoint)
        if row_order is not None:
            # Once here, not per batch: every later teacher forward is in the student's order.
            permute_classifier_rows(model, row_order, f'teacher_class_map_file {class_map_file}')
        if channels_last:
            # Once, after loading; later moves and casts (`to(device)`, `half()`) and
            # load_state_dict (copies into the weights) keep the strides.
            model.to(memory_format=torch.channels_last)
        model.requires_grad_(False)
        return model.eval()

    def _check_teacher_classes(self) -> None:
        """Teacher and student head must predict the same number of classes."""
        student_classes = getattr(self.head, 'num_classes', None)
        if self.teacher is None or student_classes is None:
            return
        try:
            teacher_classes = classifier_layer(self.teacher).out_features
        except TypeError:  # another teacher layout: the loss checks the logits' shape
            return
        if teacher_classes != student_classes:
            raise NumClassesError(
                f'The teacher predicts {teacher_classes} classes, the student head '
                f'{student_classes} (model.head.num_classes); they must predict the '
                "dataset's classes (set model.teacher's head num_classes).")

    def _apply(self, fn, *args, **kwargs):
        # `to()`, `cpu()`, `half()`, ... all end here: move the unregistered teacher too.
        super()._apply(fn, *args, **kwargs)
        if self.teacher is not None:
            self.teacher._apply(fn, *args, **kwargs)
        return self

    def train(self, mode: bool = True) -> 'DistillClassifier':
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    @torch.no_grad()
    def teacher_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """Teacher logits ``[B, C]`` of the (already preprocessed) batch ``[B, 3, H, W]``."""
        if self.teacher_size is not None and tuple(inputs.shape[-2:]) != (
                self.teacher_size, self.teacher_size):
            inputs = F.interpolate(inputs, size=(self.teacher_size, self.teacher_size),
                                   mode='bicubic', align_corners=False)
        if self.teacher_channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        return self.teacher(inputs, mode='tensor')

    def _teacher_logits_once(self, inputs: torch.Tensor) -> torch.Tensor:
        """:meth:`teacher_logits`, computed once per batch tensor.

        ``SAMOptimWrapper`` replays the forward on the very same (recorded) batch
        tensor at the perturbed student weights; the frozen teacher's logits of that
        batch are unchanged, so the replay reuses them instead of running the teacher
        again (:class:`~deitlt_mm.models.utils.BatchCache`: the same, unchanged tensor
        under the same autocast state).
        """
        device_type = inputs.device.type
        autocast = (torch.is_autocast_enabled(device_type),
                    torch.get_autocast_dtype(device_type))
        return self._teacher_cache.get(inputs, lambda: self.teacher_logits(inputs), autocast)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        """Head losses of a batch; the teacher (if any) sees the same ``inputs``."""
        feats = self.extract_feat(inputs)
        teacher_logits = None if self.teacher is None else self._teacher_logits_once(inputs)
        return self.head.loss(feats, data_samples, teacher_logits)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        """The head's predictions plus ``pred_score_teacher`` ``[C]`` (teacher softmax).

        The teacher sees ``inputs`` resized to ``teacher_size`` as in training, and
        its classifier is already in the student's label order (see
        ``teacher_label_order``), so ``LongTailAccuracy`` scores it like the
        student's predictions.
        """
        samples = super().predict(inputs, data_samples, **kwargs)
        if self.teacher is not None:
            teacher_scores = F.softmax(self.teacher_logits(inputs), dim=1)
            for sample, score in zip(samples, teacher_scores):
                sample.set_field(score, 'pred_score_teacher')
        return samples
