"""Class-balanced weights from the effective number of samples (Cui et al., CVPR 2019).

This is the single implementation every loss that re-weights classes uses (DRW
distillation, LDAM-DRW, CE-DRW), so all of them weight classes identically.
"""
from typing import Sequence, Union

import numpy as np
import torch


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
