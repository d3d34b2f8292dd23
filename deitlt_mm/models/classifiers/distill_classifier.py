"""Student classifier that distils from a frozen teacher inside ``loss``."""
import os.path as osp
import weakref
from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from ...registry import MODELS
from ..utils.checkpoint_import import load_teacher_checkpoint


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
            (converted on the fly) or a state dict in the teacher's own keys. A
            missing file is a ``FileNotFoundError`` at construction.
        teacher_size (int, optional): side of the teacher's input; None keeps
            the student's size.

    ``loss(inputs [B, 3, H, W], data_samples)`` returns the head's loss dict.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 teacher: Optional[dict] = None,
                 teacher_checkpoint: Optional[str] = None,
                 teacher_size: Optional[int] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        if teacher is None and teacher_checkpoint is not None:
            raise ValueError('teacher_checkpoint is set but teacher (its model config) is None.')
        # Checked before building anything: a path typo must fail at once, not after a
        # DeiT-B build, and a run must never start with a randomly initialised teacher.
        if teacher_checkpoint is not None and not osp.isfile(teacher_checkpoint):
            raise FileNotFoundError(
                f'teacher_checkpoint {teacher_checkpoint!r} does not exist. Set the teacher '
                'weights with --cfg-options model.teacher_checkpoint=PATH (the configs under '
                'configs/deitlt/ and configs/demo/ also read DEITLT_TEACHER_CKPT).')
        super().__init__(backbone=backbone, neck=neck, head=head, pretrained=pretrained,
                         train_cfg=train_cfg, data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        distillation_type = getattr(getattr(self.head, 'loss_module', None),
                                    'distillation_type', 'none')
        if teacher is None and distillation_type != 'none':
            raise ValueError(f"distillation_type={distillation_type!r} needs a teacher; set "
                             "`teacher=dict(...)` or use distillation_type='none'.")
        if teacher_size is not None and teacher_size <= 0:
            raise ValueError(f'teacher_size must be a positive int or None, got {teacher_size}.')
        self.teacher_size = teacher_size
        # object.__setattr__ keeps the teacher out of nn.Module's registry (see above).
        object.__setattr__(self, 'teacher', self._build_teacher(teacher, teacher_checkpoint))
        self._teacher_cache = None  # see _teacher_logits_once

    @staticmethod
    def _build_teacher(teacher: Optional[dict],
                       checkpoint: Optional[str]) -> Optional[nn.Module]:
        if teacher is None:
            return None
        model = MODELS.build(teacher)
        if checkpoint is None:
            model.init_weights()
        else:
            load_teacher_checkpoint(model, checkpoint)
        model.requires_grad_(False)
        return model.eval()

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
        return self.teacher(inputs, mode='tensor')

    def _teacher_logits_once(self, inputs: torch.Tensor) -> torch.Tensor:
        """:meth:`teacher_logits`, computed once per batch tensor.

        ``SAMOptimWrapper`` replays the forward on the very same (recorded) batch
        tensor at the perturbed student weights; the frozen teacher's logits of that
        batch are unchanged, so the replay reuses them instead of running the teacher
        again. The cache keeps a weak reference to the batch (it keeps nothing alive,
        and a new batch never matches), its version counter (an in-place change
        invalidates it) and the autocast state it was computed under.
        """
        device_type = inputs.device.type
        state = (inputs._version, torch.is_autocast_enabled(device_type),
                 torch.get_autocast_dtype(device_type))
        cached = self._teacher_cache
        if cached is not None and cached[0]() is inputs and cached[1] == state:
            return cached[2]
        logits = self.teacher_logits(inputs)
        self._teacher_cache = (weakref.ref(inputs), state, logits)
        return logits

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        """Head losses of a batch; the teacher (if any) sees the same ``inputs``."""
        feats = self.extract_feat(inputs)
        teacher_logits = None if self.teacher is None else self._teacher_logits_once(inputs)
        return self.head.loss(feats, data_samples, teacher_logits)
