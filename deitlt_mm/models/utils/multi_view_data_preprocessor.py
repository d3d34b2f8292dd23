"""``ClsDataPreprocessor`` for batches with several augmented views of each image."""
from typing import List, Optional

import torch
from mmpretrain.models.utils import ClsDataPreprocessor

from ...registry import MODELS


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """Normalises each view of a ``MultiView`` batch like ``ClsDataPreprocessor``.

    Input layouts (what mmpretrain's ``MultiView`` + ``PackInputs`` give after
    collation):

    * ``pseudo_collate`` (the Runner's default): ``inputs`` is a list of ``V``
      views, each a list of ``B`` tensors ``[C, H, W]``;
    * ``default_collate``: ``inputs`` is a list of ``V`` tensors ``[B, C, H, W]``.

    Each view goes through ``ClsDataPreprocessor`` (device, ``to_rgb``, mean /
    std, padding), giving ``inputs = [view_0, ..., view_{V-1}]``, each
    ``[B, C, H, W]``; labels are handled once, as for one view. Single-view
    batches (validation, test) are exactly ``ClsDataPreprocessor``'s. Batch
    augments (Mixup / CutMix) are not supported with several views.

    Args:
        non_blocking (bool): copy batches to the device asynchronously (from
            pinned memory: dataloader ``pin_memory=True``). Defaults to True.
        **kwargs: the arguments of ``ClsDataPreprocessor``.
    """

    def __init__(self, non_blocking: bool = True, **kwargs):
        super().__init__(**kwargs)
        # mmengine's cast_data copies with this flag; mmpretrain's class leaves it False.
        self._non_blocking = non_blocking

    def forward(self, data: dict, training: bool = False) -> dict:
        views = self.split_views(data['inputs'])
        if views is None:
            return super().forward(data, training)
        if self.batch_augments is not None:
            raise ValueError('MultiViewClsDataPreprocessor: batch augments (Mixup / CutMix) '
                             'are not supported for multi-view batches.')
        outputs = [super(MultiViewClsDataPreprocessor, self).forward(
            dict(data, inputs=view), training) for view in views]
        return dict(inputs=[output['inputs'] for output in outputs],
                    data_samples=outputs[-1]['data_samples'])

    @staticmethod
    def split_views(inputs) -> Optional[List]:
        """The views of a collated multi-view batch, None for a single-view batch."""
        if not isinstance(inputs, (list, tuple)) or not inputs:
            return None
        first = inputs[0]
        if isinstance(first, (list, tuple)) or (torch.is_tensor(first) and first.dim() == 4):
            return list(inputs)
        return None
