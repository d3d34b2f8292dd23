"""SAM / ASAM with mmengine's automatic mixed precision (loss scaling + autocast)."""
from mmengine.optim import AmpOptimWrapper

from ...registry import OPTIM_WRAPPERS
from .sam_optim_wrapper import SAMOptimWrapper


@OPTIM_WRAPPERS.register_module()
class SAMAmpOptimWrapper(SAMOptimWrapper, AmpOptimWrapper):
    """:class:`SAMOptimWrapper`'s step with ``AmpOptimWrapper``'s mixed precision.

    The SAM logic calls ``optim_context`` / ``backward`` / ``step``, which here
    are ``AmpOptimWrapper``'s: both forward passes run under ``autocast``
    (``dtype``), both backward passes on the scaled loss, and the loss scaler
    unscales (then clips, with ``clip_grad``) the second gradient and steps /
    skips on inf. The ascent direction needs no unscaling (SAM's ``e`` does not
    depend on the scale of ``g``); a non-finite first gradient leaves the
    weights unperturbed (see :class:`SAMOptimWrapper`).

    Like ``AmpOptimWrapper`` it needs a CUDA / NPU / MLU / MUSA device; on CPU
    mmengine refuses to build it.

    Args:
        rho (float): ascent radius. Defaults to 0.05.
        adaptive (bool): ASAM instead of SAM. Defaults to False.
        **kwargs: ``loss_scale``, ``dtype`` of ``AmpOptimWrapper`` and
            ``optimizer``, ``clip_grad`` of ``OptimWrapper``.
    """
