"""DeiT-LT's student loss: CLS-token classification + DIST-token distillation with DRW."""
from typing import Optional

import torch
import torch.nn.functional as F

from ...registry import MODELS
from .class_balanced import DRWClassWeightedLoss


@MODELS.register_module()
class DRWDistillLoss(DRWClassWeightedLoss):
    """``(1 - alpha) * CLS loss`` and ``alpha * DIST loss`` with deferred re-weighting.

    CLS loss (on the CLS-token logits):
        * soft targets ``[B, C]`` (Mixup/CutMix scores): soft-target cross entropy
          ``-sum_c t_c log softmax(z)_c`` averaged over the batch. mmpretrain's Mixup
          and CutMix do not smooth labels, so label smoothing is applied here to soft
          targets, ``t * (1 - eps) + eps / C`` (what timm's ``mixup_target`` gives).
        * hard labels ``[B]`` (batch augments off, e.g. after DRW with
          ``no_mixup_drw``): plain cross entropy, no smoothing, as in the reference.

    DIST loss (on the DIST-token logits ``s``, teacher logits ``t``), by
    ``distillation_type``:
        * ``'hard'``: cross entropy against ``argmax(t)``.
        * ``'soft'``: ``F.kl_div(log_softmax(s / tau), q, reduction='sum',
          log_target=True) * tau**2 / s.numel()``, i.e.
          ``sum_ic exp(q_ic) (q_ic - log_softmax(s_i / tau)_c) * tau**2 / (B C)``
          with the teacher's log-probabilities ``q = log_softmax(t / tau)`` (the
          reference divides the summed KL by the number of logits).
        * ``'none'``: the DIST token is trained on the labels, like the CLS loss.

    DRW: once ``drw_active`` is True (set by ``DRWHook``, the one owner of DRW
    state), the class weights ``w`` = :func:`effective_number_weights` of the
    training class counts (``TrainClassCountsHook`` calls :meth:`set_class_counts`)
    enter as in the reference's ``DistillationLoss`` with ``--weighted-distillation``
    (``losses.py``; ``main.py`` passes the weights from the DRW epoch on):

        * ``'hard'`` and ``'none'``: the DIST cross entropy is weighted per class.
        * ``'soft'``: the teacher's log-probabilities are re-weighted and
          renormalised, ``q_ic = w_c l_ic / sum_k w_k l_ik`` with
          ``l = log_softmax(t / tau)``, and this ``q`` is the log target of the same
          KL. (``q`` is a positive vector summing to 1 that the KL reads as
          log-probabilities: the reference's formula, kept so its ablations
          reproduce.)
        * CLS loss with ``weighted_cls_loss=True`` (the reference's
          ``--weighted-baseloss``): weighted on hard labels only (Mixup off under
          DRW, the reference's weighted ``CrossEntropyLoss``). While Mixup/CutMix
          stay on after DRW (``no_mixup_drw=False``, soft targets) the reference's
          CLS criterion is the unweighted ``SoftTargetCrossEntropy``, and so is
          this one.

    Weighted cross entropy follows ``F.cross_entropy(weight=w)``: for hard labels
    the mean is ``sum_i w_{y_i} ce_i / sum_i w_{y_i}``; for soft targets (``'none'``
    under Mixup) it is ``mean_i(-sum_c w_c t_ic log p_ic)``. Before DRW nothing is
    weighted.

    Args:
        alpha (float): weight of the DIST loss, in ``[0, 1]``. Defaults to 0.5.
        distillation_type (str): ``'hard'``, ``'soft'`` or ``'none'``.
        tau (float): distillation temperature of ``'soft'``. Defaults to 1.0.
        beta (float): effective-number beta. Defaults to 0.9999.
        label_smoothing (float): smoothing of soft targets. Defaults to 0.1.
        weighted_cls_loss (bool): also weight the CLS loss under DRW (hard labels
            only, see above).

    ``forward`` returns ``dict(loss_cls=(1 - alpha) * cls, loss_dist=alpha * dist)``:
    both terms are already weighted, so mmengine's sum of all ``loss*`` keys is the
    reference's total loss.
    """

    distillation_types = ('hard', 'soft', 'none')

    def __init__(self,
                 alpha: float = 0.5,
                 distillation_type: str = 'hard',
                 tau: float = 1.0,
                 beta: float = 0.9999,
                 label_smoothing: float = 0.1,
                 weighted_cls_loss: bool = False):
        super().__init__(beta=beta)
        if distillation_type not in self.distillation_types:
            raise ValueError(f'distillation_type must be one of {self.distillation_types}, '
                             f'got {distillation_type!r}.')
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f'alpha must be in [0, 1], got {alpha}.')
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f'label_smoothing must be in [0, 1), got {label_smoothing}.')
        self.alpha = alpha
        self.distillation_type = distillation_type
        self.tau = tau
        self.label_smoothing = label_smoothing
        self.weighted_cls_loss = weighted_cls_loss

    def _drw_weights(self, num_classes: int) -> Optional[torch.Tensor]:
        weights = self.drw_weights()
        if weights is not None and weights.numel() != num_classes:
            raise ValueError(f'DRWDistillLoss: {weights.numel()} class weights for '
                             f'{num_classes} logits.')
        return weights

    def _label_loss(self, logits: torch.Tensor, target: torch.Tensor,
                    weight: Optional[torch.Tensor]) -> torch.Tensor:
        """Cross entropy on hard labels ``[B]`` or smoothed soft targets ``[B, C]``."""
        if target.dim() == 2:
            num_classes = logits.size(1)
            target = target * (1.0 - self.label_smoothing) + self.label_smoothing / num_classes
        return F.cross_entropy(logits, target, weight=weight)

    def _soft_distillation(self, dist_logits: torch.Tensor, teacher_logits: torch.Tensor,
                           weight: Optional[torch.Tensor]) -> torch.Tensor:
        """KL to the teacher's (under DRW re-weighted) log-probabilities, see above."""
        tau = self.tau
        target = F.log_softmax(teacher_logits / tau, dim=1)
        if weight is not None:
            target = target * weight
            target = target / target.sum(dim=1, keepdim=True)
        kl_sum = F.kl_div(F.log_softmax(dist_logits / tau, dim=1), target, reduction='sum',
                          log_target=True)
        return kl_sum * (tau * tau) / dist_logits.numel()

    def forward(self,
                cls_logits: torch.Tensor,
                dist_logits: torch.Tensor,
                target: torch.Tensor,
                teacher_logits: Optional[torch.Tensor] = None) -> dict:
        """Compute the two weighted loss terms.

        Args:
            cls_logits (Tensor): ``[B, C]`` CLS-token logits.
            dist_logits (Tensor): ``[B, C]`` DIST-token logits.
            target (Tensor): hard labels ``[B]`` (int64) or soft targets ``[B, C]``.
            teacher_logits (Tensor, optional): ``[B, C]``; required unless
                ``distillation_type == 'none'``.

        Returns:
            dict: ``loss_cls`` and ``loss_dist``, scalar tensors, already multiplied
            by ``1 - alpha`` and ``alpha``.
        """
        weight = self._drw_weights(cls_logits.size(1))
        # Soft targets mean Mixup/CutMix is on: the reference's CLS criterion is then
        # the unweighted SoftTargetCrossEntropy even with --weighted-baseloss.
        cls_weight = weight if self.weighted_cls_loss and target.dim() == 1 else None
        loss_cls = self._label_loss(cls_logits, target, cls_weight)

        if self.distillation_type == 'none':
            loss_dist = self._label_loss(dist_logits, target, weight)
        else:
            if teacher_logits is None:
                raise ValueError(f'DRWDistillLoss: distillation_type={self.distillation_type!r} '
                                 'needs teacher_logits, got None.')
            if teacher_logits.shape != dist_logits.shape:
                raise ValueError(f'DRWDistillLoss: teacher_logits of shape '
                                 f'{tuple(teacher_logits.shape)} for student logits of shape '
                                 f'{tuple(dist_logits.shape)}; teacher and student must '
                                 'predict the same classes.')
            teacher_logits = teacher_logits.detach()
            if self.distillation_type == 'hard':
                loss_dist = F.cross_entropy(dist_logits, teacher_logits.argmax(dim=1),
                                            weight=weight)
            else:
                loss_dist = self._soft_distillation(dist_logits, teacher_logits, weight)
        return dict(loss_cls=(1.0 - self.alpha) * loss_cls, loss_dist=self.alpha * loss_dist)
