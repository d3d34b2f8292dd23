"""Join a process group from the variables Slurm gives every task (``srun``), also on CPU."""
import os
import re

from ..errors import RunError


class SlurmTaskError(RunError, RuntimeError):
    """``--launcher slurm`` in a process that Slurm did not start."""


# mmengine's default for Slurm jobs (mmengine.dist.utils._init_dist_slurm).
DEFAULT_MASTER_PORT = '29500'


def first_host(nodelist: str) -> str:
    """The first host name of a Slurm hostlist expression, as ``scontrol show hostnames``.

    ``'node[07-09,12],gpu3'`` -> ``'node07'``; ``'gpu3'`` -> ``'gpu3'``.

    Args:
        nodelist (str): ``SLURM_NODELIST`` / ``SLURM_JOB_NODELIST``.
    """
    match = re.match(r'([^,\[]*)(?:\[([^\]]*)\])?([^,]*)', nodelist.strip())
    prefix, ranges, suffix = match.groups()
    if not ranges:
        return prefix + suffix
    return prefix + re.split(r'[-,]', ranges)[0] + suffix


def set_torch_env_from_slurm() -> None:
    """Set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` / ``MASTER_PORT`` from Slurm's.

    The same mapping as mmengine's Slurm launcher (``SLURM_PROCID``, ``SLURM_NTASKS``,
    ``SLURM_LOCALID``, the first node of ``SLURM_NODELIST``, ``MASTER_PORT`` or 29500),
    without its ``scontrol`` call and CUDA set-up, so that ``init_process_group(
    init_method='env://')`` can start a gloo group on CPU nodes. Variables already set
    (``MASTER_ADDR``, ``MASTER_PORT``) are kept.

    Raises:
        SlurmTaskError: outside a Slurm task (no ``SLURM_PROCID``).
    """
    if 'SLURM_PROCID' not in os.environ:
        raise SlurmTaskError('--launcher slurm outside a Slurm task: SLURM_PROCID is not set '
                           '(start the run with srun, e.g. tools/slurm_train.sh).')
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    nodelist = os.environ.get('SLURM_NODELIST') or os.environ['SLURM_JOB_NODELIST']
    os.environ.setdefault('MASTER_ADDR', first_host(nodelist))
    os.environ.setdefault('MASTER_PORT', DEFAULT_MASTER_PORT)
