"""Slurm's task variables as torch's ``env://`` variables, for ``--launcher slurm`` on CPU.

``srun`` starts one process per task and describes it in ``SLURM_PROCID`` (global
rank), ``SLURM_NTASKS`` (world size), ``SLURM_LOCALID`` (rank on its node) and
``SLURM_NODELIST`` (the job's hosts, compressed, e.g. ``node[01-04]``). mmengine's
``_init_dist_slurm`` maps them to ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` and then calls ``torch.cuda.set_device``, which
fails without CUDA. :func:`set_torch_env_from_slurm` does the same mapping and no
more, so a gloo group can be joined with ``init_method='env://'``; the rest of the
code (samplers, ``get_dist_info``, the ``LOCAL_RANK`` the runner reads) sees what
it sees under torchrun.
"""
import os
import re
import shutil
import subprocess
from collections.abc import MutableMapping

from ..errors import ConfigValueError

# torch.distributed's default port, which mmengine's slurm launcher falls back to.
DEFAULT_MASTER_PORT = '29500'
# What srun sets for every task, in the order they are mapped.
SLURM_TASK_VARIABLES = ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_LOCALID', 'SLURM_NODELIST')

# The first entry of a host list: up to the first comma outside brackets.
_FIRST_ENTRY = re.compile(r'[^,\[]*(?:\[[^\]]*\][^,\[]*)*')
# A bracketed range list, e.g. `[01-04,07]`; group 1 is its first value (`01`).
_RANGE = re.compile(r'\[([^\]\-,]*)[^\]]*\]')


def first_host(node_list: str) -> str:
    """The first host of a Slurm node list, as ``scontrol show hostnames`` names it.

    Uses ``scontrol`` where it is installed (as mmengine does). Elsewhere the list is
    read here: entries are separated by commas outside brackets, and each bracketed
    range stands for its first value, zero padding kept.

    Args:
        node_list (str): e.g. ``SLURM_NODELIST``: ``'node[01-02]'``, ``'a,b'``,
            ``'gpu[3,5-7],cpu1'`` or ``'rack[1-2]-n[08-09]'``.

    Returns:
        str: the first host: ``'node01'``, ``'a'``, ``'gpu3'``, ``'rack1-n08'``.
    """
    scontrol = shutil.which('scontrol')
    if scontrol is not None:
        listed = subprocess.run([scontrol, 'show', 'hostnames', node_list],
                                capture_output=True, text=True)
        hosts = listed.stdout.split()
        if listed.returncode == 0 and hosts:
            return hosts[0]
    first_entry = _FIRST_ENTRY.match(node_list.strip()).group(0)
    return _RANGE.sub(r'\1', first_entry)


def set_torch_env_from_slurm(environ: MutableMapping = os.environ) -> None:
    """Set torch's ``env://`` variables from the variables srun gives each task.

    ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK`` are overwritten (a default
    ``LOCAL_RANK=0`` may already be there); ``MASTER_ADDR`` (default: the first host
    of ``SLURM_NODELIST``) and ``MASTER_PORT`` (default: 29500) are kept when set,
    as in mmengine.

    Args:
        environ (MutableMapping): the environment to read and update.

    Raises:
        ConfigValueError: a Slurm task variable is missing (not started by srun).
    """
    missing = [name for name in SLURM_TASK_VARIABLES if name not in environ]
    if missing:
        raise ConfigValueError(
            f'--launcher slurm: {", ".join(missing)} not set, so this process was not '
            'started by srun; run it with tools/slurm_train.sh or tools/slurm_test.sh, or '
            'use --launcher pytorch (tools/dist_train.sh, tools/dist_test.sh)')
    environ['RANK'] = environ['SLURM_PROCID']
    environ['WORLD_SIZE'] = environ['SLURM_NTASKS']
    environ['LOCAL_RANK'] = environ['SLURM_LOCALID']
    if 'MASTER_ADDR' not in environ:
        environ['MASTER_ADDR'] = first_host(environ['SLURM_NODELIST'])
    environ.setdefault('MASTER_PORT', DEFAULT_MASTER_PORT)
