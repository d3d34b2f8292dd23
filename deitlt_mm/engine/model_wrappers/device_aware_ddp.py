"""DDP wrapper that also runs on CPU (``configs/_base_/default_runtime.py``'s default)."""
from mmengine.model import MMDistributedDataParallel

from ...registry import MODEL_WRAPPERS


# Runner.wrap_model builds `model_wrapper_cfg` from the default scope's registry.
@MODEL_WRAPPERS.register_module()
class DeviceAwareDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that also runs on CPU.

    mmengine passes ``device_ids=[local_rank]`` to every DDP wrapper; torch
    rejects device ids for CPU modules. For a module on CPU the ids are dropped
    (DDP then all-reduces over gloo); on a GPU they pass through unchanged.

    Args:
        module (nn.Module): the model, already on its device.
        device_ids (list[int], optional): as for ``DistributedDataParallel``.
        **kwargs: the rest of ``MMDistributedDataParallel``'s arguments.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        first_param = next(module.parameters(), None)
        if first_param is not None and first_param.device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)


