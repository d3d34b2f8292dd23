"""One training run per work dir: a lock file naming the run that holds it."""
import contextlib
import json
import os
import os.path as osp
import socket
import time
from typing import Optional

from ..errors import RunError

LOCK_FILE = '.run.lock'


class WorkDirInUseError(RunError, RuntimeError):
    """The work dir is held by another live run."""


def _start_time(pid: int) -> Optional[str]:
    """The process's start time in clock ticks since boot (Linux), to tell a reused PID."""
    try:
        with open(f'/proc/{pid}/stat') as stat:
            return stat.read().rsplit(')', 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _is_alive(holder: dict) -> bool:
    """Whether the lock's holder may still run: always for another host, as it cannot be
    checked from here, unless it is an earlier run of this Slurm job (requeued: over)."""
    job = os.environ.get('SLURM_JOB_ID')
    if job is not None and holder.get('slurm_job_id') == job:
        return False
    if holder.get('host') != socket.gethostname():
        return True
    pid = holder.get('pid')
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's live process
    except (TypeError, OverflowError):
        return False  # no valid PID: a damaged lock
    started = holder.get('started')
    return started is None or started == _start_time(pid)


@contextlib.contextmanager
def hold_work_dir(work_dir: str, take: bool = True):
    """Hold ``<work_dir>/.run.lock`` for the block, or refuse a work dir another run holds.

    The lock file is created complete and atomically (written to a temp file, then
    hard-linked to its name, which fails if it exists) and holds the PID, the host,
    the process's start time and the Slurm job id. A lock whose run is over is taken
    over: its PID is dead on this host (or belongs to a newer process), or it is an
    earlier run of this Slurm job (a requeued job continues its own run). The lock is
    removed when the block ends, however it ends; a killed run leaves it, stale.

    Args:
        work_dir (str): the run's work dir (created if missing).
        take (bool): False on ranks other than 0, which share rank 0's lock.

    Raises:
        WorkDirInUseError: a live run holds the work dir.
    """
    if not take:
        yield
        return
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, LOCK_FILE)
    mine = dict(pid=os.getpid(), host=socket.gethostname(), started=_start_time(os.getpid()),
                slurm_job_id=os.environ.get('SLURM_JOB_ID'),
                since=time.strftime('%Y-%m-%d %H:%M:%S'))
    temp = f'{path}.{os.getpid()}.tmp'
    with open(temp, 'w') as file:
        json.dump(mine, file)
    try:
        for _ in range(2):
            try:
                os.link(temp, path)
                break
            except FileExistsError:
                try:
                    with open(path) as file:
                        holder = json.load(file)
                except (OSError, ValueError):
                    holder = {}
                if holder and _is_alive(holder):
                    raise WorkDirInUseError(
                        f'work dir {work_dir} is in use by another run (PID {holder.get("pid")}'
                        f' on {holder.get("host")}, since {holder.get("since")}); wait for it '
                        'to end or pass another --work-dir (if that run is dead on another '
                        f'host, delete {path})') from None
                with contextlib.suppress(FileNotFoundError):
                    os.remove(path)  # stale: its run is over
        else:
            raise WorkDirInUseError(f'work dir {work_dir}: another run took {path} while '
                                    'this one started; pass another --work-dir')
    finally:
        os.remove(temp)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            with open(path) as file:
                if json.load(file).get('pid') == os.getpid():
                    os.remove(path)
