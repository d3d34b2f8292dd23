"""``ClsDataPreprocessor`` that applies timm's random erasing to the normalised batch."""
from typing import Optional

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from timm.data.random_erasing import RandomErasing

from ...registry import MODELS


@MODELS.register_module()
class ErasingClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` + the DeiT recipe's random erasing, where the reference has it.

    The reference (timm ``create_transform``) erases as the last per-image step, on
    the normalised float tensor: in ``'pixel'`` mode the patch becomes ``N(0, 1)``
    noise in normalised units, unclipped. A ``uint8`` pipeline transform can only
    approximate that (values rounded and clipped to ``[0, 255]``). Here the same
    timm ``RandomErasing`` runs on each image of the batch after normalisation and
    before the batch augments (Mixup / CutMix), so the batch the student and the
    teacher see is distributed exactly as the reference's; the per-image pipeline
    saves its erasing step (0.3 ms of ~3 ms per 224 px image on one CPU thread).

    Draws: python's ``random`` (erase or not, patch size and place) and the torch
    generator of the batch's device (the noise), both reseeded from (seed,
    iteration, rank) by ``ReseedHook`` before every training iteration. Erasing
    stays on when ``DRWHook`` turns the batch augments off (the reference erases in
    every epoch). Validation and test batches are never erased.

    Args:
        random_erasing (dict, optional): arguments of ``timm.data.RandomErasing``:
            ``probability``, ``mode`` (``'const'``, ``'rand'``, ``'pixel'``),
            ``min_area``, ``max_area``, ``min_aspect``, ``max_aspect``,
            ``min_count``, ``max_count``. The reference's ``re_prob=0.25,
            re_mode='pixel', re_count=1`` is ``dict(probability=0.25,
            mode='pixel', max_count=1)``. None: no erasing, exactly
            ``ClsDataPreprocessor`` (but for ``non_blocking``).
        non_blocking (bool): copy batches to the device asynchronously (from
            pinned memory: dataloader ``pin_memory=True``). Defaults to True.
        **kwargs: the arguments of ``ClsDataPreprocessor`` (``mean``, ``std``,
            ``to_rgb``, ``num_classes``, ``batch_augments``, ...).

    Forward: ``data['inputs']`` (``uint8`` ``[C, H, W]`` tensors or a ``[B, C, H, W]``
    batch) -> ``{'inputs': float [B, C, H, W], 'data_samples': ...}``.
    """

    def __init__(self, random_erasing: Optional[dict] = None, non_blocking: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        # mmengine's cast_data copies with this flag; mmpretrain's class leaves it False.
        self._non_blocking = non_blocking
        self.random_erasing = None
        if random_erasing is not None:
            unsupported = sorted({'device', 'num_splits'} & set(random_erasing))
            if unsupported:
                raise ValueError(f'random_erasing: {", ".join(unsupported)} cannot be set '
                                 '(the device is the batch\'s; no split batches).')
            self.random_erasing = RandomErasing(**random_erasing, device='cpu')

    def forward(self, data: dict, training: bool = False) -> dict:
        if not training or self.random_erasing is None:
            return super().forward(data, training)
        # Normalise, stack and prepare labels (one-hot when to_onehot) as in
        # training; only the batch augments wait until the images are erased.
        data = super().forward(data, training=False)
        inputs, samples = data['inputs'], data['data_samples']
        self.random_erasing.device = inputs.device
        inputs = self.random_erasing(inputs)  # in place, image by image
        if (self.batch_augments is not None and samples
                and isinstance(samples[0], DataSample) and 'gt_score' in samples[0]):
            scores = torch.stack([sample.gt_score for sample in samples])
            inputs, scores = self.batch_augments(inputs, scores)
            for sample, score in zip(samples, scores):
                sample.set_gt_score(score)
        return dict(inputs=inputs, data_samples=samples)
