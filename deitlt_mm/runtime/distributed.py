"""Distributed training on CPU, where mmengine's launchers cannot start it.

mmengine's ``pytorch`` launcher calls ``torch.cuda.set_device`` and fails without
CUDA. :func:`init_distributed` starts a gloo process group itself on CPU (the runner
then skips its own CUDA-only set-up); the model wrapper
:class:`deitlt_mm.engine.model_wrappers.DeviceAwareDistributedDataParallel` does the
rest. On GPUs both leave mmengine's NCCL path as it is.
"""
import datetime
import os
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed

from .slurm import set_torch_env_from_slurm


def init_distributed(launcher: str, timeout_s: Optional[float] = None) -> None:
    """Start the process group on CPU, where mmengine's launchers cannot.

    Call before building the Runner. With CUDA, or with ``launcher='none'``, this
    does nothing and mmengine initialises NCCL as usual. On CPU with the
    ``pytorch`` launcher (torchrun) it joins a gloo group from the ``env://``
    variables torchrun sets, with ``slurm`` (srun) from those Slurm sets
    (:func:`deitlt_mm.runtime.slurm.set_torch_env_from_slurm`); mmengine then sees an
    initialised group and skips its ``torch.cuda.set_device`` call.
    ``timeout_s`` (``env_cfg.dist_cfg.timeout``, which mmengine passes on GPUs) bounds
    every collective; None keeps torch's default.
    """
    if launcher == 'none' or torch.cuda.is_available() or is_distributed():
        return
    if launcher == 'slurm':
        set_torch_env_from_slurm()
    elif launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} needs CUDA devices on this stack; for CPU training '
            'use --launcher pytorch (tools/dist_train.sh) or slurm (tools/slurm_train.sh).')
    timeout = None if timeout_s is None else datetime.timedelta(seconds=timeout_s)
    torch_dist.init_process_group(backend='gloo', init_method='env://', timeout=timeout)
    os.environ.setdefault('LOCAL_RANK', '0')


def finish_distributed() -> None:
    """Leave the process group cleanly (torch warns, and gloo may abort, otherwise).

    The barrier keeps a rank that finished first from tearing the group down
    while another still talks to it.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
