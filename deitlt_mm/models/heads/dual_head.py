"""Two linear classifiers, one on the CLS token and one on the DIST token."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmpretrain.structures import DataSample

from ...registry import MODELS


@MODELS.register_module()
class DualHead(BaseModule):
    """DeiT-LT head: ``head`` on the CLS feature, ``head_dist`` on the DIST feature.

    mmpretrain's ``DeiTClsHead`` only supervises the averaged logit; this head
    trains both tokens, each with its own target (see ``DRWDistillLoss``).

    Args:
        num_classes (int): number of classes ``C``.
        in_channels (int): feature size ``D`` of each token.
        loss (dict): config of the loss, a module called as
            ``loss(cls_logits, dist_logits, target, teacher_logits)`` that returns a
            dict of already weighted ``loss_*`` terms. None means
            ``dict(type='DRWDistillLoss')``.
        init_cfg (dict, optional): mmengine init config.

    Inputs are the backbone output ``(cls_feat [B, D], dist_feat [B, D])`` (a neck,
    if any, must keep the pair).

    ``predict`` sets on every ``DataSample``:
        * ``pred_score`` ``[C]``: softmax of the averaged logits ``(cls + dist) / 2``
          (the reference averages logits, not probabilities);
        * ``pred_label`` ``[1]``: argmax of ``pred_score``;
        * ``pred_score_cls`` ``[C]``: softmax of the CLS logits;
        * ``pred_score_dist`` ``[C]``: softmax of the DIST logits.
        ``LongTailAccuracy`` reads these three score fields by these names.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        loss = dict(type='DRWDistillLoss') if loss is None else loss
        if num_classes <= 0:
            raise ValueError(f'num_classes must be > 0, got {num_classes}.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.head = nn.Linear(in_channels, num_classes)
        self.head_dist = nn.Linear(in_channels, num_classes)
        for linear in (self.head, self.head_dist):
            # DeiT init for classifiers: truncated normal std .02, zero bias.
            nn.init.trunc_normal_(linear.weight, std=0.02)
            nn.init.zeros_(linear.bias)
        self.loss_module = MODELS.build(loss)

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Check and return ``(cls_feat [B, D], dist_feat [B, D])``."""
        if not isinstance(feats, (tuple, list)) or len(feats) != 2:
            raise TypeError('DualHead expects the pair (cls_feat, dist_feat) from the '
                            f'backbone, got {type(feats).__name__} of length '
                            f'{len(feats) if isinstance(feats, (tuple, list)) else "-"}.')
        return feats[0], feats[1]

    def forward(self, feats: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(cls_feat, dist_feat)`` -> ``(cls_logits [B, C], dist_logits [B, C])``."""
        cls_feat, dist_feat = self.pre_logits(feats)
        return self.head(cls_feat), self.head_dist(dist_feat)

    @staticmethod
    def _targets(data_samples: List[DataSample]) -> torch.Tensor:
        """Soft targets ``[B, C]`` when the samples carry ``gt_score`` else labels ``[B]``."""
        if 'gt_score' in data_samples[0]:
            return torch.stack([sample.gt_score for sample in data_samples])
        return torch.cat([sample.gt_label for sample in data_samples])

    def loss(self,
             feats: Sequence[torch.Tensor],
             data_samples: List[DataSample],
             teacher_logits: Optional[torch.Tensor] = None) -> dict:
        """Losses of a batch.

        Args:
            feats: ``(cls_feat [B, D], dist_feat [B, D])``.
            data_samples: with ``gt_score`` ``[C]`` (Mixup/CutMix) or ``gt_label``.
            teacher_logits (Tensor, optional): ``[B, C]`` teacher logits.

        Returns:
            dict: ``loss_cls`` and ``loss_dist`` (scalars, already weighted by
            ``1 - alpha`` / ``alpha``; their sum is the training loss).
        """
        cls_logits, dist_logits = self(feats)
        target = self._targets(data_samples).to(cls_logits.device)
        return self.loss_module(cls_logits, dist_logits, target, teacher_logits)

    def predict(self,
                feats: Sequence[torch.Tensor],
                data_samples: Optional[List[Optional[DataSample]]] = None
                ) -> List[DataSample]:
        """Predictions of a batch, see the class docstring for the fields set."""
        cls_logits, dist_logits = self(feats)
        scores = F.softmax((cls_logits + dist_logits) / 2, dim=1).detach()
        cls_scores = F.softmax(cls_logits, dim=1).detach()
        dist_scores = F.softmax(dist_logits, dim=1).detach()
        labels = scores.argmax(dim=1, keepdim=True)
        if data_samples is None:
            data_samples = [None] * scores.size(0)
        results = []
        for sample, score, label, cls_score, dist_score in zip(
                data_samples, scores, labels, cls_scores, dist_scores):
            sample = DataSample() if sample is None else sample
            sample.set_pred_score(score).set_pred_label(label)
            sample.set_field(cls_score, 'pred_score_cls')
            sample.set_field(dist_score, 'pred_score_dist')
            results.append(sample)
        return results
