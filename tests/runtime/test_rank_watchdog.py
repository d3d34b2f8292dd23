"""A rank killed mid-epoch: the other rank stops within the timeout, naming it (2 gloo ranks)."""
import os
import re
import subprocess
import sys
import time

from mmengine.config import Config

from tests.tools.test_preemption import STUB_SLURM
from tests.tools.test_resume import REPO, write_config

TIMEOUT_S = 4

KILL_HOOK = '''
import os
import signal
import time

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillRankHook(Hook):
    """SIGKILL rank 1 in iteration `at` (1-based), noting the time in `stamp`."""

    def __init__(self, at, stamp):
        self.at, self.stamp = at, stamp

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at and get_rank() == 1:
            time.sleep(1)  # a heartbeat (every 0.4 s) carries the phase, as in a long step
            with open(self.stamp, 'w') as file:
                file.write(repr(time.time()))
            os.kill(os.getpid(), signal.SIGKILL)
'''


def test_killed_rank_ends_the_job_within_the_timeout_with_one_line(tmp_path):
    cfg = Config.fromfile(str(write_config(tmp_path, persistent_workers=False)))
    (tmp_path / 'kill_rank_hook.py').write_text(KILL_HOOK)
    stamp = tmp_path / 'killed_at'
    cfg.custom_imports = dict(imports=['deitlt_mm', 'kill_rank_hook'],
                              allow_failed_imports=False)
    cfg.custom_hooks.append(dict(type='KillRankHook', at=2, stamp=str(stamp)))
    cfg.env_cfg.dist_cfg.timeout = TIMEOUT_S
    path = tmp_path / 'kill_rank.py'
    cfg.dump(str(path))
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'MASTER_PORT': '29557',
           'PATH': os.pathsep.join([str(STUB_SLURM), os.environ['PATH']]),
           'PYTHONPATH': os.pathsep.join([str(tmp_path), str(REPO),
                                          os.environ.get('PYTHONPATH', '')])}
    # srun without --kill-on-bad-exit: the surviving rank must stop by itself.
    proc = subprocess.run(['srun', '--ntasks=2', sys.executable, 'tools/train.py', str(path),
                           '--work-dir', str(tmp_path / 'work'), '--launcher', 'slurm'],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    ended = time.time()
    # The stub srun returns the first failed task's status: rank 1's SIGKILL.
    assert proc.returncode == 128 + 9, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.startswith('error: ')]
    # Rank 0's line, naming rank 1 and what it was doing.
    assert len(lines) == 1, proc.stderr[-3000:]
    assert re.fullmatch(r'error: rank 1 \(pid \d+ on .+\) stopped responding \d+ s ago while '
                        r'training epoch 1, iteration 2; stopping rank 0 '
                        rf'\(env_cfg.dist_cfg.timeout = {TIMEOUT_S} s\)', lines[0]), lines[0]
    elapsed = ended - float(stamp.read_text())
    print(f'rank 1 killed -> job ended: {elapsed:.1f} s (timeout {TIMEOUT_S} s)')
    assert elapsed < TIMEOUT_S + 8
    assert not list((tmp_path / 'work').glob('*.pth'))
    assert not list((tmp_path / 'work').glob('.*.tmp'))
