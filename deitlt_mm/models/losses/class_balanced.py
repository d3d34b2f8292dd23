"""Class-balanced weights from the effective number of samples (Cui et al., CVPR 2019).

This is the single implementation every loss that re-weights classes uses (DRW
distillation, LDAM-DRW, CE-DRW), so all of them weight classes identically.
"""
from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn


def effective_number_weights(counts: Union[Sequence[int], np.ndarray, torch.Tensor],
                             beta: float = 0.9999) -> torch.Tensor:
    """Per-class weights ``w_c = (1 - beta) / (1 - beta ** n_c)``, scaled to sum to ``C``.

    Args:
        counts: training images per class, shape ``[C]``, every entry > 0.
        beta (float): in ``[0, 1)``; 0.9999 in DeiT-LT.

    Returns:
        torch.Tensor: float32 weights of shape ``[C]`` with ``w.sum() == C``.
    """
    counts = torch.as_tensor(np.asarray(counts), dtype=torch.float64)
    if counts.dim() != 1 or counts.numel() == 0:
        raise ValueError(f'counts must be a non-empty 1-D sequence, got shape '
                         f'{tuple(counts.shape)}.')
    if bool((counts <= 0).any()):
        raise ValueError(f'counts must all be > 0 (an empty class has no effective number), '
                         f'got {counts.tolist()}.')
    if not 0.0 <= beta < 1.0:
        raise ValueError(f'beta must be in [0, 1), got {beta}.')
    weights = (1.0 - beta) / (1.0 - torch.pow(beta, counts))
    weights = weights / weights.sum() * counts.numel()
    return weights.float()


class DRWClassWeightedLoss(nn.Module):
    """Base of the losses that follow ``DRWHook``'s deferred re-weighting.

    ``TrainClassCountsHook`` calls :meth:`set_class_counts` with the training class
    counts at ``before_train``; ``DRWHook`` sets :attr:`drw_active`; subclasses weight
    their cross entropy with :meth:`drw_weights` (None before DRW).

    Args:
        beta (float): effective-number beta of :func:`effective_number_weights`.
    """

    def __init__(self, beta: float = 0.9999):
        super().__init__()
        if not 0.0 <= beta < 1.0:
            raise ValueError(f'beta must be in [0, 1), got {beta}.')
        self.beta = beta
        self.drw_active = False
        # Not persistent: counts come from the dataset at every run start, so
        # checkpoints (and teachers loaded from them) do not depend on them.
        self.register_buffer('class_counts', torch.empty(0), persistent=False)
        self.register_buffer('class_weights', torch.empty(0), persistent=False)

    def set_class_counts(self, counts: Sequence[int]) -> None:
        """Store ``counts`` (``[C]`` training images per class) and their DRW weights."""
        self.class_weights = effective_number_weights(counts, self.beta).to(
            self.class_weights.device)
        self.class_counts = torch.as_tensor(np.asarray(counts), dtype=torch.float64).to(
            self.class_weights.device)

    def check_inputs(self, cls_score: torch.Tensor, target: torch.Tensor) -> None:
        """Raise unless ``cls_score`` is ``[B, C]`` and ``target`` hard labels ``[B]``."""
        name = type(self).__name__
        if cls_score.dim() != 2:
            raise ValueError(f'{name}: cls_score must be [B, C], got shape '
                             f'{tuple(cls_score.shape)}.')
        if target.dim() != 1 or target.is_floating_point() or target.numel() != len(cls_score):
            raise ValueError(f'{name}: target must be {len(cls_score)} integer class labels '
                             f'[B], got shape {tuple(target.shape)} and dtype {target.dtype} '
                             '(soft Mixup/CutMix targets are not supported).')
        if self.class_counts.numel() and self.class_counts.numel() != cls_score.size(1):
            raise ValueError(f'{name}: {self.class_counts.numel()} class counts for '
                             f'{cls_score.size(1)} logits.')

    def drw_weights(self) -> Optional[torch.Tensor]:
        """The ``[C]`` class weights while DRW is active, else None."""
        if not self.drw_active:
            return None
        if self.class_weights.numel() == 0:
            raise RuntimeError(f'{type(self).__name__}: DRW is active but no class counts '
                               'were set; TrainClassCountsHook (a default hook) calls '
                               'set_class_counts() at before_train.')
        return self.class_weights
