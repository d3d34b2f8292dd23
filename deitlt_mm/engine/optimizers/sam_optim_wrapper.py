"""Sharpness-aware minimisation (SAM / ASAM) as an mmengine optimizer wrapper."""
from contextlib import contextmanager
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from torch.nn.modules.batchnorm import _BatchNorm

from ...registry import OPTIM_WRAPPERS

# Added to the perturbation norm so a zero gradient gives a zero step, not NaN.
NORM_EPS = 1e-12


@OPTIM_WRAPPERS.register_module()
class SAMOptimWrapper(OptimWrapper):
    """One SAM (or ASAM) update per ``update_params``, for any model's ``train_step``.

    The step (Foret et al. 2021; ASAM: Kwon et al. 2021), with ``g`` the gradient
    of the loss at the weights ``w`` over all parameters of the optimizer that
    have a gradient:

    * SAM: ``e = rho * g / (||g||_2 + 1e-12)``, ``||g||_2`` the global L2 norm
      over all those parameters.
    * ASAM (``adaptive=True``): ``e = rho * w**2 * g / (|| |w| * g ||_2 + 1e-12)``
      (element-wise ``|w|`` scaling, the global norm of ``|w| * g``).

    then ``w <- w + e``, the loss and its gradient ``g'`` are computed again at
    ``w + e``, ``w`` is restored exactly (a saved copy, not ``w + e - e``), and
    the base optimizer steps with ``g'``. Gradient clipping (``clip_grad``)
    applies to ``g'`` right before that step, as for a plain step; ``g`` is only
    used for its direction.

    How the second pass is driven, for every model without model code:
    mmengine's ``train_step`` (``BaseModel`` and ``MMDistributedDataParallel``)
    runs the forward inside ``with optim_wrapper.optim_context(model):`` and
    then calls ``optim_wrapper.update_params(loss)``. While the context is open
    this wrapper records the arguments of the model's top-level forward call
    (a forward pre-hook on ``model``, removed when the context closes), i.e. the
    already preprocessed (and Mixup/CutMix-mixed) batch. ``update_params`` then
    calls ``model`` again with those arguments at ``w + e`` and sums the loss
    dict with the model's own ``parse_losses``. So ``ImageClassifier``,
    ``DistillClassifier``, ``TimmClassifier`` and any other ``BaseModel`` work
    unchanged, and both passes see the same inputs. Random layers (dropout,
    drop path) draw fresh masks in the second pass, as in the reference SAM.

    BatchNorm: running statistics (``running_mean``, ``running_var``,
    ``num_batches_tracked``) are saved before the second pass and restored after
    it, so they are those of the first pass only.

    Mixed precision: :class:`SAMAmpOptimWrapper` combines this step with
    mmengine's ``AmpOptimWrapper``. ``e`` is invariant to the loss scale (``g``
    enters only through ``g / ||g||``), so the scaled first gradient is used as
    is. If it is not finite (fp16 overflow), the step ends there as any
    overflowing fp16 step does: the scaler skips the optimizer step and lowers
    its scale (:meth:`skip_step_on_overflow`), with no second pass. Without a
    loss scaler the weights are not perturbed and the second pass is a plain
    gradient.

    Gradient accumulation (``accumulative_counts > 1``) is refused: the ascent
    needs the full accumulated gradient before any second pass, i.e. keeping
    every micro-batch until the last one, which this wrapper does not do.

    Args:
        rho (float): radius of the ascent step, ``>= 0`` (0 = the plain
            optimizer step, at twice the cost). ``SAMRhoHook`` may change
            :attr:`rho` per epoch.
        adaptive (bool): ASAM instead of SAM. Defaults to False.
        **kwargs: ``optimizer``, ``clip_grad``, ``accumulative_counts`` of
            ``OptimWrapper``.
    """

    def __init__(self, rho: float = 0.05, adaptive: bool = False, **kwargs):
        accumulative_counts = kwargs.get('accumulative_counts', 1)
        if accumulative_counts != 1:
            raise ValueError(
                f'{type(self).__name__}: accumulative_counts must be 1, got '
                f'{accumulative_counts}; SAM perturbs the weights with the full-batch '
                'gradient, so gradient accumulation is not supported (use a larger batch).')
        super().__init__(**kwargs)
        self.rho = rho
        self.adaptive = bool(adaptive)
        self._forward_call: Optional[Tuple[nn.Module, tuple, dict]] = None
        self._replaying = False

    @property
    def rho(self) -> float:
        """Radius of the ascent step."""
        return self._rho

    @rho.setter
    def rho(self, value: float) -> None:
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f'rho must be a non-negative number, got {value!r}.')
        self._rho = float(value)

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context, plus recording ``model``'s forward arguments.

        Args:
            model (nn.Module): the model whose forward runs inside the context
                (a model wrapper such as DDP is fine).
        """
        with super().optim_context(model):
            if self._replaying:
                yield
                return
            self._forward_call = None

            def record_forward(module, args, kwargs):
                if self._forward_call is not None:
                    raise RuntimeError(
                        f'{type(self).__name__}: the model was called twice inside one '
                        'optim_context; SAM replays exactly one forward call per step.')
                self._forward_call = (module, args, kwargs)

            handle = model.register_forward_pre_hook(record_forward, with_kwargs=True)
            try:
                yield
            finally:
                handle.remove()

    def _params_with_grad(self) -> List[torch.Tensor]:
        return [param for group in self.optimizer.param_groups for param in group['params']
                if param.grad is not None]

    @torch.no_grad()
    def _perturbations(self, params: List[torch.Tensor]) -> Optional[List[torch.Tensor]]:
        """``e`` per parameter (see the class doc), None if ``g`` is not finite."""
        if self.adaptive:
            scaled = [param.abs() * param.grad for param in params]
        else:
            scaled = [param.grad for param in params]
        norm = torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(s.float()) for s in scaled]))
        if not bool(torch.isfinite(norm)):
            return None
        factor = self.rho / (norm + NORM_EPS)
        if self.adaptive:
            return [param.abs() * s * factor.to(s.dtype) for param, s in zip(params, scaled)]
        return [s * factor.to(s.dtype) for s in scaled]

    def skip_step_on_overflow(self) -> bool:
        """End a step whose first gradient is not finite; True if it was ended.

        Without a loss scaler there is nothing to lower: the step goes on with an
        unperturbed second pass (False). :class:`SAMAmpOptimWrapper` overrides it.
        """
        return False

    @staticmethod
    def _batch_norm_stats(model: nn.Module) -> List[Tuple[torch.Tensor, torch.Tensor]]:
        """(buffer, saved copy) of every BatchNorm running statistic of ``model``."""
        saved = []
        for module in model.modules():
            if isinstance(module, _BatchNorm) and module.track_running_stats:
                for buffer in (module.running_mean, module.running_var,
                               module.num_batches_tracked):
                    if buffer is not None:
                        saved.append((buffer, buffer.detach().clone()))
        return saved

    def _second_pass_loss(self, model: nn.Module, args: tuple, kwargs: dict) -> torch.Tensor:
        """The model's loss on the recorded inputs at the current (perturbed) weights."""
        self._replaying = True
        try:
            # A fresh context: autocast caches its weight casts per region, so the
            # first pass's region (closed by now) must not be reused at w + e.
            with self.optim_context(model):
                losses = model(*args, **kwargs)
        finally:
            self._replaying = False
        module = model.module if is_model_wrapper(model) else model
        if not hasattr(module, 'parse_losses'):
            raise TypeError(f'{type(self).__name__}: {type(module).__name__} has no '
                            'parse_losses(); SAM needs an mmengine BaseModel to sum the '
                            'loss dict of its second pass.')
        loss, _ = module.parse_losses(losses)
        return loss

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Two forward/backward passes and one base-optimizer step (see the class doc).

        Args:
            loss (Tensor): scalar loss of the forward recorded by
                :meth:`optim_context` (what ``train_step`` passes).
            step_kwargs (dict, optional): passed to ``optimizer.step``.
            zero_kwargs (dict, optional): passed to ``optimizer.zero_grad``.
        """
        if self._forward_call is None:
            raise RuntimeError(
                f'{type(self).__name__}.update_params needs the forward call of this step: '
                'run the model inside `with optim_wrapper.optim_context(model):` before '
                "calling update_params (as mmengine's train_step does).")
        model, args, kwargs = self._forward_call
        self._forward_call = None

        self.backward(loss)
        params = self._params_with_grad()
        perturbations = self._perturbations(params) if params else None
        if params and perturbations is None and self.skip_step_on_overflow():
            self.zero_grad(**(zero_kwargs or {}))
            return
        originals = []
        if perturbations is not None:
            with torch.no_grad():
                for param, perturbation in zip(params, perturbations):
                    originals.append(param.detach().clone())
                    param.add_(perturbation)
        self.zero_grad()
        # Restored only after the backward: autograd saved these buffers in the forward.
        bn_stats = self._batch_norm_stats(model)
        try:
            perturbed_loss = self._second_pass_loss(model, args, kwargs)
            self.backward(perturbed_loss)
            # `backward` counts iterations; this iteration was already counted.
            self._inner_count -= 1
        finally:
            with torch.no_grad():
                for param, original in zip(params, originals):
                    param.copy_(original)
                for buffer, saved in bn_stats:
                    buffer.copy_(saved)
        self.step(**(step_kwargs or {}))
        self.zero_grad(**(zero_kwargs or {}))
