"""CE-DRW: cross entropy with deferred re-weighting."""
from typing import Optional

import torch
import torch.nn.functional as F

from ...registry import MODELS
from .class_balanced import DRWClassWeightedLoss


@MODELS.register_module()
class DRWCrossEntropyLoss(DRWClassWeightedLoss):
    """Cross entropy, weighted per class once ``DRWHook`` activates DRW.

    Before DRW it is plain cross entropy; from the DRW epoch on, the
    effective-number weights ``w`` of the training counts (beta) weight it, mean
    as ``F.cross_entropy(weight=w)``: ``sum_i w_{y_i} l_i / sum_i w_{y_i}``. The
    ``loss`` of a ``LinearClsHead``.

    Args:
        beta (float): effective-number beta. Defaults to 0.9999.

    ``forward(cls_score [B, C], target [B] int64)`` returns a scalar loss.
    """

    def forward(self,
                cls_score: torch.Tensor,
                target: torch.Tensor,
                avg_factor: Optional[int] = None) -> torch.Tensor:
        """CE(-DRW) loss of a batch.

        Args:
            cls_score (Tensor): ``[B, C]`` logits.
            target (Tensor): ``[B]`` int64 labels.
            avg_factor (int, optional): passed by mmpretrain's ``ClsHead``; not
                used, the mean is ``F.cross_entropy``'s.

        Returns:
            Tensor: scalar loss.
        """
        self.check_inputs(cls_score, target)
        return F.cross_entropy(cls_score, target, weight=self.drw_weights())
