"""SAM / ASAM under mixed precision: bf16 on CPU, bf16 or fp16 + loss scaling on GPUs."""
from ...registry import OPTIM_WRAPPERS
from .mixed_precision_optim_wrapper import MixedPrecisionOptimWrapper
from .sam_optim_wrapper import SAMOptimWrapper


@OPTIM_WRAPPERS.register_module()
class SAMAmpOptimWrapper(SAMOptimWrapper, MixedPrecisionOptimWrapper):
    """:class:`SAMOptimWrapper`'s step with :class:`MixedPrecisionOptimWrapper`'s precision.

    The SAM logic calls ``optim_context`` / ``backward`` / ``step``, which here
    are the mixed-precision wrapper's: both forward passes run under
    ``autocast`` (``dtype``: bfloat16 on CPU, bfloat16 or float16 on CUDA), both
    backward passes on the (for float16: scaled) loss, and the loss scaler
    unscales (then clips, with ``clip_grad``) the second gradient and steps /
    skips on inf. The ascent direction needs no unscaling (SAM's ``e`` does not
    depend on the scale of ``g``). A non-finite first gradient under float16
    loss scaling ends the step at once: the scaler skips it and lowers its
    scale, so an overflow in the first pass cannot go unnoticed when the
    second pass happens to be finite.

    Args:
        rho (float): ascent radius. Defaults to 0.05.
        adaptive (bool): ASAM instead of SAM. Defaults to False.
        **kwargs: ``loss_scale``, ``dtype`` of ``MixedPrecisionOptimWrapper`` and
            ``optimizer``, ``clip_grad`` of ``OptimWrapper``.
    """

    def skip_step_on_overflow(self) -> bool:
        """Skip the step and lower the loss scale if loss scaling is on (float16).

        ``step`` lets the scaler find the non-finite gradient: it skips the
        optimizer step and multiplies the scale by its ``backoff_factor``.
        """
        if not self.loss_scaler.is_enabled():
            return False
        self.step()
        return True
