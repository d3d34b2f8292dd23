"""mmengine's ``AmpOptimWrapper`` on CPU (bfloat16) as well as on GPUs (bf16 or fp16)."""
from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import AmpOptimWrapper

from ...registry import OPTIM_WRAPPERS
from .mixed_precision import enable_tf32, resolve_autocast_dtype


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """``AmpOptimWrapper`` that also runs on CPU and picks the dtype per device.

    mmengine's wrapper refuses to be built without an accelerator and always
    scales the loss. This one takes the device from the optimizer's parameters
    and autocasts there (``torch.autocast(device_type, dtype)``):

    * CPU: bfloat16, on CPUs with bf16 instructions (AVX512-BF16 / AMX / Arm
      BF16); other CPUs are refused with a message (see
      :func:`resolve_autocast_dtype`).
    * CUDA: ``dtype='auto'`` is bfloat16 on GPUs of compute capability 8.0 and
      newer (Ampere, Hopper), else float16 (V100, T4), asked of the parameters'
      device (the rank's own GPU: mmengine builds the wrapper after setting it).
      TF32 is switched on for the float32 matmuls left (:func:`enable_tf32`).

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
        self.cast_dtype = resolve_autocast_dtype(self.device_type, dtype, params[0].device)
        if self.device_type == 'cuda':
            enable_tf32()
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

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a checkpoint's wrapper state; an empty ``loss_scaler`` state is skipped.

        A disabled scaler (bfloat16, or a float32 run's wrapper) saves ``{}``, which
        an enabled ``GradScaler`` refuses to load. A bfloat16 checkpoint resumed in
        float16 (e.g. on a pre-Ampere GPU) then starts loss scaling afresh, as a new
        run would.

        Args:
            state_dict (dict): what :meth:`state_dict` saved.
        """
        if not state_dict.get('loss_scaler', True):
            state_dict = {key: value for key, value in state_dict.items()
                          if key != 'loss_scaler'}
            if self.loss_scaler.is_enabled():
                print_log('mixed precision: the checkpoint has no loss-scaler state (saved '
                          'without loss scaling); float16 loss scaling starts afresh',
                          logger='current')
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """``OptimWrapper``'s context (gradient accumulation) under autocast.

        Args:
            model (nn.Module): the model run inside the context.
        """
        with super(AmpOptimWrapper, self).optim_context(model), torch.autocast(
                self.device_type, dtype=self.cast_dtype):
            yield
