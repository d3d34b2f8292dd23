"""mmengine's ``AmpOptimWrapper`` on CPU (bfloat16) as well as on GPUs (bf16 or fp16)."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper

from ...registry import OPTIM_WRAPPERS
from .mixed_precision import resolve_autocast_dtype


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` that also runs on CPU and picks the dtype per device.

    mmengine's wrapper refuses to be built without an accelerator and always
    scales the loss. This one takes the device from the optimizer's parameters
    and autocasts there (``torch.autocast(device_type, dtype)``):

    * CPU: bfloat16, on CPUs with bf16 instructions (AVX512-BF16 / AMX / Arm
      BF16); other CPUs are refused with a message (see
      :func:`resolve_autocast_dtype`).
    * CUDA: ``dtype='auto'`` is bfloat16 where the GPU supports it (Ampere and
      newer), else float16.

    Loss scaling (``loss_scale``, a ``torch.amp.GradScaler``) is on for float16
    only: bfloat16 has float32's exponent range, so its gradients do not
    underflow and scaling would only cost time. The inherited ``backward`` /
    ``step`` / ``state_dict`` / ``load_state_dict`` work with the scaler on or
    off (a disabled scaler passes the loss through, steps the optimizer
    directly and saves an empty state).

    Args:
        loss_scale (str | float | dict): as in ``AmpOptimWrapper``: ``'dynamic'``,
            a static scale, or ``GradScaler`` keyword arguments. Used for float16.
        dtype (str | torch.dtype): ``'auto'`` (default), ``'bfloat16'`` or
            ``'float16'``.
        **kwargs: ``optimizer``, ``accumulative_counts``, ``clip_grad`` of
            ``OptimWrapper``.
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = 'auto',
                 **kwargs):
        # AmpOptimWrapper.__init__ asserts an accelerator; everything else it sets is
        # set here, so the next class after it in the MRO is initialised directly.
        super(AmpOptimWrapper, self).__init__(**kwargs)
        params = [p for group in self.optimizer.param_groups for p in group['params']]
        if not params:
            raise ValueError(f'{type(self).__name__}: the optimizer has no parameters.')
        self.device_type = params[0].device.type
        self.cast_dtype = resolve_autocast_dtype(self.device_type, dtype)
        self._scale_update_param = None
        if loss_scale == 'dynamic':
            scaler_kwargs = {}
        elif isinstance(loss_scale, float):
            self._scale_update_param = loss_scale
            scaler_kwargs = dict(init_scale=loss_scale)
        elif isinstance(loss_scale, dict):
            scaler_kwargs = dict(loss_scale)
        else:
            raise TypeError(f"loss_scale must be 'dynamic', a float or a dict of GradScaler "
                            f'arguments, got {loss_scale!r}.')
        self.loss_scaler = torch.amp.GradScaler(
            self.device_type, enabled=self.cast_dtype == torch.float16, **scaler_kwargs)
        scaling = 'dynamic loss scaling' if self.loss_scaler.is_enabled() else 'no loss scaling'
        print_log(f'mixed precision: {str(self.cast_dtype).replace("torch.", "")} autocast on '
                  f'{self.device_type}, {scaling}', logger='current')

    @contextmanager
    def optim_context(self, model: nn.Module):
        """``OptimWrapper``'s context (gradient accumulation) under autocast.

        Args:
            model (nn.Module): the model run inside the context.
        """
        with super(AmpOptimWrapper, self).optim_context(model), torch.autocast(
                self.device_type, dtype=self.cast_dtype):
            yield
