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
    depend on the scale of ``g``); a non-finite first gradient leaves the
    weights unperturbed (see :class:`SAMOptimWrapper`).

    Args:
        rho (float): ascent radius. Defaults to 0.05.
        adaptive (bool): ASAM instead of SAM. Defaults to False.
        **kwargs: ``loss_scale``, ``dtype`` of ``MixedPrecisionOptimWrapper`` and
            ``optimizer``, ``clip_grad`` of ``OptimWrapper``.
    """
