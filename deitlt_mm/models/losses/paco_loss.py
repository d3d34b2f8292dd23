"""Parametric contrastive loss (PaCo, Cui et al., ICCV 2021)."""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...registry import MODELS

# Added to the class prior before its log (an empty class gets log(1e-9), not -inf)
# and to the softmax denominator, as in the reference loss.
PRIOR_EPS = 1e-9
DENOMINATOR_EPS = 1e-12


@MODELS.register_module()
class PaCoLoss(nn.Module):
    """Supervised contrastive loss with learnable class centres and a frequency prior.

    Every query ``i`` of the batch (``B`` anchors) scores ``C`` class columns and
    ``N`` sample columns (the contrast features, whose first ``B`` rows are the
    queries themselves; in PaCo ``[queries; keys; queue]``, ``N = 2B + K``):

    * class columns: ``z_ic = (s_ic + log(pi_c + 1e-9)) / supt``, with ``s`` the
      classifier logits and ``pi`` the training-set class frequencies (logit
      adjustment: the prior is added to the class columns only);
    * sample columns: ``z_ij = <f_i, f_j> / temperature``.

    With ``m_i`` the row maximum (self column included), denominator weights
    ``d`` (1 on class columns, ``gamma`` on sample columns, 0 on ``j = i``) and
    positive weights ``p`` (``beta`` on ``c = y_i``, ``alpha`` on every sample
    column ``j != i`` with ``label_j = y_i``: the other view of ``i`` and the
    same-class queue entries):

    ``log P_ij = z_ij - m_i - log(sum_k d_k exp(z_ik - m_i) + 1e-12)``,
    ``L = -(temperature / base_temperature) * mean_i sum_j p_ij log P_ij / sum_j p_ij``.

    The class frequencies come from the training set: ``TrainClassCountsHook``
    calls :meth:`set_class_counts` at ``before_train``. They are kept in a
    non-persistent buffer, so checkpoints do not depend on them.

    Args:
        alpha (float): weight of the sample positives (0.01 CIFAR-LT, 0.05
            ImageNet-LT / iNaturalist-2018 in PaCo's recipes).
        beta (float): weight of the class positive. Defaults to 1.
        gamma (float): weight of the sample columns in the denominator.
            Defaults to 1.
        supt (float): temperature of the class columns. Defaults to 1.
        temperature (float): temperature of the sample columns. Defaults to 1.
        base_temperature (float, optional): the loss is scaled by
            ``temperature / base_temperature``; None = ``temperature`` (scale 1).

    ``forward(features [N, D], labels [N], cls_score [B, C])`` returns a scalar.
    The loss is computed in at least float32 (float64 inputs stay float64), also
    under autocast (which is switched off inside the loss).
    """

    def __init__(self,
                 alpha: float,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 supt: float = 1.0,
                 temperature: float = 1.0,
                 base_temperature: Optional[float] = None):
        super().__init__()
        for name, value in (('temperature', temperature), ('supt', supt)):
            if value <= 0:
                raise ValueError(f'PaCoLoss: {name} must be > 0, got {value}.')
        if base_temperature is not None and base_temperature <= 0:
            raise ValueError(f'PaCoLoss: base_temperature must be > 0, got {base_temperature}.')
        if alpha < 0 or beta < 0 or gamma < 0 or alpha + beta == 0:
            raise ValueError(f'PaCoLoss: alpha, beta, gamma must be >= 0 with alpha + beta > 0, '
                             f'got alpha={alpha}, beta={beta}, gamma={gamma}.')
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.supt = supt
        self.temperature = temperature
        self.base_temperature = temperature if base_temperature is None else base_temperature
        self.register_buffer('class_prior', torch.empty(0, dtype=torch.float64),
                             persistent=False)

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Store the class frequencies ``pi_c = n_c / sum_k n_k`` of ``[C]`` counts."""
        counts = torch.as_tensor(np.asarray(counts), dtype=torch.float64)
        if counts.dim() != 1 or counts.numel() == 0 or bool((counts < 0).any()) \
                or counts.sum() <= 0:
            raise ValueError('PaCoLoss: counts must be a non-empty 1-D sequence of '
                             f'non-negative numbers with a positive sum, got {counts.tolist()}.')
        self.class_prior = (counts / counts.sum()).to(self.class_prior.device)

    def forward(self, features: torch.Tensor, labels: torch.Tensor,
                cls_score: torch.Tensor) -> torch.Tensor:
        """PaCo loss of ``B = len(cls_score)`` anchors.

        Args:
            features (Tensor): ``[N, D]`` contrast features, the ``B`` anchors
                (queries) first; L2-normalised in PaCo.
            labels (Tensor): ``[N]`` int64 labels of ``features``.
            cls_score (Tensor): ``[B, C]`` classifier logits of the anchors.

        Returns:
            Tensor: scalar loss.
        """
        batch, num_classes = cls_score.shape
        if features.dim() != 2 or labels.shape != features.shape[:1] or len(features) < batch:
            raise ValueError(f'PaCoLoss: expected features [N, D] and labels [N] with N >= '
                             f'{batch} (anchors first), got {tuple(features.shape)} and '
                             f'{tuple(labels.shape)}.')
        if self.class_prior.numel() != num_classes:
            raise RuntimeError(
                f'PaCoLoss: {self.class_prior.numel()} class counts for {num_classes} logits. '
                'Keep TrainClassCountsHook in default_hooks: it hands the training class '
                'counts to set_class_counts() at before_train.')
        # Autocast would run the similarity matmul in bf16 / fp16 again.
        with torch.autocast(features.device.type, enabled=False):
            return self._loss(features, labels, cls_score)

    def _loss(self, features: torch.Tensor, labels: torch.Tensor,
              cls_score: torch.Tensor) -> torch.Tensor:
        """The loss of :meth:`forward`'s checked inputs, in at least float32."""
        batch, num_classes = cls_score.shape
        dtype = torch.promote_types(features.dtype, torch.float32)
        features, cls_score = features.to(dtype), cls_score.to(dtype)
        anchor_labels = labels[:batch]

        class_logits = (cls_score + torch.log(self.class_prior.to(dtype) + PRIOR_EPS)) / self.supt
        sample_logits = features[:batch] @ features.T / self.temperature
        logits = torch.cat([class_logits, sample_logits], dim=1)
        logits = logits - logits.max(dim=1, keepdim=True).values.detach()

        not_self = torch.ones_like(sample_logits)
        not_self[torch.arange(batch), torch.arange(batch)] = 0
        same_label = (anchor_labels[:, None] == labels[None, :]).to(dtype) * not_self
        positives = torch.cat([
            self.beta * F.one_hot(anchor_labels, num_classes).to(dtype),
            self.alpha * same_label,
        ], dim=1)
        denominator_weights = torch.cat([torch.ones_like(class_logits), self.gamma * not_self],
                                        dim=1)

        log_norm = torch.log((logits.exp() * denominator_weights).sum(1, keepdim=True)
                             + DENOMINATOR_EPS)
        log_prob = logits - log_norm
        mean_log_prob_pos = (positives * log_prob).sum(1) / positives.sum(1)
        return -(self.temperature / self.base_temperature) * mean_log_prob_pos.mean()
