"""A collate function that stacks a batch's images on the host, for one copy to the device."""
from typing import Any, Sequence

import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import FUNCTIONS
from torch.utils.data import default_collate


def stack_images(images: list) -> Any:
    """``[B]`` images ``[C, H, W]`` as one ``[B, C, H, W]`` tensor if they have one shape.

    A list of views (``MultiView``: each image a list of ``V`` tensors after
    ``pseudo_collate``'s transposition, i.e. ``V`` lists of ``B`` tensors) is stacked
    view by view. Images of different shapes stay a list (the data preprocessor
    then pads and stacks them on the device, as with ``pseudo_collate``).
    """
    if images and all(isinstance(view, (list, tuple)) for view in images):
        return [stack_images(list(view)) for view in images]
    if images and all(torch.is_tensor(image) for image in images) and \
            len({tuple(image.shape) for image in images}) == 1:
        # torch's collate stacks into shared memory inside a worker: no extra copy
        # when the batch is handed to the main process.
        return default_collate(images)
    return images


@FUNCTIONS.register_module()
def stack_collate(data_batch: Sequence[dict]) -> Any:
    """``pseudo_collate`` with the images stacked on the host.

    With ``pseudo_collate`` (mmengine's default) ``inputs`` is a list of ``B``
    tensors, which the data preprocessor copies to the GPU one by one (``B``
    copies, each waited for). Here ``inputs`` is one ``[B, C, H, W]`` tensor (one
    per view for multi-view batches), so with the dataloader's
    ``pin_memory=True`` the batch reaches the device in one pinned copy, which
    the preprocessors of this package issue with ``non_blocking=True``. The data
    samples and every other field are exactly ``pseudo_collate``'s, and mmpretrain's
    ``ClsDataPreprocessor`` gives the same numbers for a stacked and a listed batch.

    Use it with ``collate_fn=dict(type='stack_collate')`` in a dataloader config.

    Args:
        data_batch (Sequence[dict]): the dataset's samples, ``dict(inputs=uint8
            [C, H, W] tensor (or a list of views), data_samples=DataSample)``.

    Returns:
        dict: ``inputs`` stacked where shapes allow, ``data_samples`` a list.
    """
    batch = pseudo_collate(data_batch)
    if isinstance(batch, dict) and 'inputs' in batch:
        batch['inputs'] = stack_images(batch['inputs'])
    return batch
