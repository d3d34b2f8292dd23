"""mmpretrain's Mixup, computed in the input tensor: one full-batch temporary, not three."""
from typing import Tuple

import numpy as np
import torch
from mmpretrain.models.utils.batch_augments import Mixup

from ...registry import BATCH_AUGMENTS


@BATCH_AUGMENTS.register_module()
class InPlaceMixup(Mixup):
    """``Mixup`` whose mixed images overwrite ``batch_inputs``.

    mmpretrain computes ``lam * x + (1 - lam) * x[index]`` with three full-batch
    temporaries besides its result. Here only the shuffled copy ``x[index]`` is
    allocated: it is scaled in place and added into ``lam * x``, itself computed
    in ``x``. Each element goes through the same two products and one sum, so the
    result is bit-identical to mmpretrain's for the same random state (numpy draws
    ``lam``, torch the permutation, in the same order).

    ``batch_inputs`` is overwritten (as mmpretrain's ``CutMix`` does): in the data
    preprocessor it is the freshly normalised batch, owned by nobody else.

    Args:
        alpha (float): Beta(alpha, alpha) parameter of the mixing ratio ``lam``.

    ``mix(batch_inputs [N, C, H, W], batch_scores [N, num_classes])`` returns the
    mixed images (``batch_inputs`` itself) and the mixed scores.
    """

    def mix(self, batch_inputs: torch.Tensor,
            batch_scores: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        lam = np.random.beta(self.alpha, self.alpha)
        index = torch.randperm(batch_inputs.size(0))
        shuffled = batch_inputs[index, :].mul_(1 - lam)
        mixed_inputs = batch_inputs.mul_(lam).add_(shuffled)
        mixed_scores = lam * batch_scores + (1 - lam) * batch_scores[index, :]
        return mixed_inputs, mixed_scores
