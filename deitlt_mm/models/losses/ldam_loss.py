"""LDAM loss (Cao et al., NeurIPS 2019) with deferred re-weighting."""
from typing import Optional

import torch
import torch.nn.functional as F

from ...registry import MODELS
from .class_balanced import DRWClassWeightedLoss


@MODELS.register_module()
class LDAMLoss(DRWClassWeightedLoss):
    """Label-distribution-aware margin loss, the ``loss`` of a ``LinearClsHead``.

    With ``n_c`` the training images of class ``c`` (``set_class_counts``):

    * margins ``m_c = max_margin * n_c**(-1/4) / max_k(n_k**(-1/4))`` (the rarest
      class gets ``max_margin``);
    * the true-class logit is lowered by its margin, ``z_y <- z_y - m_y``, all
      logits are multiplied by ``scale``, then cross entropy;
    * DRW: once ``drw_active`` (set by ``DRWHook``), the cross entropy is
      weighted per class with the effective-number weights (beta), mean as
      ``F.cross_entropy(weight=w)``: ``sum_i w_{y_i} l_i / sum_i w_{y_i}``.

    Args:
        max_margin (float): margin of the rarest class, ``> 0``. Defaults to 0.5.
        scale (float): logit scale ``s``, ``> 0``. Defaults to 30.
        beta (float): effective-number beta. Defaults to 0.9999.

    ``forward(cls_score [B, C], target [B] int64)`` returns a scalar float32 loss,
    computed in float32 also under autocast (bf16 / fp16 logits are cast up first).
    """

    def __init__(self, max_margin: float = 0.5, scale: float = 30.0, beta: float = 0.9999):
        super().__init__(beta=beta)
        if max_margin <= 0:
            raise ValueError(f'max_margin must be > 0, got {max_margin}.')
        if scale <= 0:
            raise ValueError(f'scale must be > 0, got {scale}.')
        self.max_margin = max_margin
        self.scale = scale

    @property
    def margins(self) -> torch.Tensor:
        """``[C]`` float32 margins ``m_c`` of the counts set by ``set_class_counts``."""
        if self.class_counts.numel() == 0:
            raise RuntimeError('LDAMLoss: no class counts were set; its margins need them. '
                               'Keep TrainClassCountsHook in default_hooks: it hands the '
                               'training counts over at before_train.')
        inverse_fourth_root = self.class_counts.pow(-0.25)
        return (self.max_margin * inverse_fourth_root / inverse_fourth_root.max()).float()

    def forward(self,
                cls_score: torch.Tensor,
                target: torch.Tensor,
                avg_factor: Optional[int] = None) -> torch.Tensor:
        """LDAM(-DRW) loss of a batch.

        Args:
            cls_score (Tensor): ``[B, C]`` logits.
            target (Tensor): ``[B]`` int64 labels.
            avg_factor (int, optional): passed by mmpretrain's ``ClsHead``; not
                used, the mean is ``F.cross_entropy``'s (see the class doc).

        Returns:
            Tensor: scalar loss.
        """
        self.check_inputs(cls_score, target)
        # float32 also under autocast: in bf16 the margin (0.5 at most) would be
        # subtracted with an 8-bit mantissa and the error multiplied by `scale`.
        with torch.autocast(cls_score.device.type, enabled=False):
            cls_score = cls_score.float()
            true_class = F.one_hot(target, cls_score.size(1)).float()
            adjusted = cls_score - true_class * self.margins[target].unsqueeze(1)
            return F.cross_entropy(self.scale * adjusted, target, weight=self.drw_weights())
