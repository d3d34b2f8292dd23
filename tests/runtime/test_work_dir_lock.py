"""One run per work dir: a live holder refuses a second run, a stale lock is taken over."""
import json
import socket
import subprocess
import sys

import pytest

from deitlt_mm.runtime.work_dir_lock import LOCK_FILE, WorkDirInUseError, hold_work_dir
from tests._tools import load_tool

REPO_CONFIG = 'configs/smoke/tiny_resnet_random_lt.py'


def write_lock(work_dir, **holder):
    work_dir.mkdir(exist_ok=True)
    (work_dir / LOCK_FILE).write_text(json.dumps(dict(since='2026-01-01 00:00:00', **holder)))


@pytest.fixture
def live_process():
    proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    yield proc
    proc.kill()
    proc.wait()


def test_lock_is_held_for_the_block_and_released(tmp_path):
    with hold_work_dir(str(tmp_path)):
        holder = json.loads((tmp_path / LOCK_FILE).read_text())
        with pytest.raises(WorkDirInUseError):
            with hold_work_dir(str(tmp_path)):
                pass
    assert holder['host'] == socket.gethostname()
    assert not (tmp_path / LOCK_FILE).exists()
    assert not list(tmp_path.iterdir())


def test_second_run_on_a_live_run_s_work_dir_is_refused_with_one_line(tmp_path, live_process,
                                                                        capsys):
    work = tmp_path / 'work'
    write_lock(work, pid=live_process.pid, host=socket.gethostname())
    with pytest.raises(SystemExit) as exit_info:
        load_tool('train.py').main([REPO_CONFIG, '--work-dir', str(work)])
    assert str(exit_info.value) == (
        f'error: work dir {work} is in use by another run (PID {live_process.pid} on '
        f'{socket.gethostname()}, since 2026-01-01 00:00:00); wait for it to end or pass '
        f'another --work-dir (if that run is dead on another host, delete '
        f'{work / LOCK_FILE})')
    assert json.loads((work / LOCK_FILE).read_text())['pid'] == live_process.pid


def test_stale_locks_are_taken_over(tmp_path, monkeypatch):
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                          capture_output=True, text=True, check=True)
    stale = [dict(pid=int(dead.stdout), host=socket.gethostname()),  # killed run
             dict(pid=1, host=socket.gethostname(), started='-1'),  # PID reused since
             dict(pid=123, host='other-node', slurm_job_id='77')]  # this job, requeued
    monkeypatch.setenv('SLURM_JOB_ID', '77')
    for holder in stale:
        write_lock(tmp_path, **holder)
        with hold_work_dir(str(tmp_path)):
            assert json.loads((tmp_path / LOCK_FILE).read_text())['pid'] != holder['pid']
    # Another host's lock cannot be checked from here: refused.
    write_lock(tmp_path, pid=123, host='other-node', slurm_job_id='76')
    with pytest.raises(WorkDirInUseError, match='PID 123 on other-node'):
        with hold_work_dir(str(tmp_path)):
            pass
