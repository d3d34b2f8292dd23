"""SIGTERM / SIGUSR1 mid-epoch, then ``--resume``: bit-identical weights, one and two ranks.

The runs are those of ``test_resume`` (a tiny DeiT-LT with a ResNet teacher, DropPath,
RandAugment, random erasing, Mixup / CutMix, DRW without Mixup in the last epoch, two
DataLoader workers) plus gradient accumulation over 2 iterations. The signal is a real
one, sent as Slurm sends it: to the whole process group (DataLoader workers included)
of the single process, or to ``srun`` (the stub in ./stub_slurm), which passes it to
every task's group. It lands in the DRW epoch, on the first iteration of an
accumulation window; a second signal follows during the checkpoint save. The run must
save after the window, exit with status 75, and resume to the uninterrupted run's
weights and optimizer state exactly. The two-rank runs go through
``tools/slurm_train.sh`` (gloo on CPU), which must ask the stub ``scontrol`` to requeue.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

from mmengine.config import Config

from deitlt_mm.runtime.preemption import REQUEUE_EXIT_STATUS
from tests.tools.test_resume import MAX_EPOCHS, REPO, assert_identical, write_config

STUB_SLURM = Path(__file__).resolve().parent / 'stub_slurm'

SIGNAL_HOOK = '''
import os
import subprocess
import time

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from deitlt_mm.runtime.preemption import preemption_signal


@HOOKS.register_module()
class SignalAtIterationHook(Hook):
    """After iteration `at` (1-based) rank 0 signals the job as Slurm would: its own
    process group (one process) or srun, which signals every task's group. During the
    checkpoint save that follows it sends `again`."""

    def __init__(self, at, signum, again):
        self.at, self.signum, self.again = at, signum, again

    def _send(self, signum):
        # From another process, as slurmstepd's (a worker obeys its parent's SIGTERM).
        target = str(os.getppid()) if 'SLURM_PROCID' in os.environ else f'-{os.getpgid(0)}'
        subprocess.run(['kill', '-s', str(signum), '--', target], check=True,
                       start_new_session=True)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at and get_rank() == 0:
            self._send(self.signum)
            while preemption_signal() is None:  # delivered to this rank before it goes on
                time.sleep(0.01)

    def before_save_checkpoint(self, runner, checkpoint):
        if preemption_signal() is not None and self.again is not None:
            self._send(self.again)
            self.again = None
'''


def config(tmp_path, persistent_workers, signal_at=None, signum=None, again=None):
    """test_resume's config with accumulation over 2 iterations (and the signal hook)."""
    cfg = Config.fromfile(str(write_config(tmp_path, persistent_workers)))
    cfg.optim_wrapper.accumulative_counts = 2
    name = 'plain'
    if signal_at is not None:
        (tmp_path / 'signal_hook.py').write_text(SIGNAL_HOOK)
        cfg.custom_imports = dict(imports=['deitlt_mm', 'signal_hook'],
                                  allow_failed_imports=False)
        cfg.custom_hooks.append(dict(type='SignalAtIterationHook', at=signal_at,
                                     signum=int(signum), again=int(again)))
        name = 'signal'
    path = tmp_path / f'preempt_{name}_{int(persistent_workers)}.py'
    cfg.dump(str(path))
    return path


def run(tmp_path, cmd, port, expect=0, slurm_log=None):
    """Run a tool in its own session (a process group, as a Slurm job step's)."""
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1',
           'MASTER_PORT': str(port), 'PYTHON': sys.executable,
           'PATH': os.pathsep.join([str(STUB_SLURM), os.environ['PATH']]),
           'PYTHONPATH': os.pathsep.join([str(tmp_path), os.environ.get('PYTHONPATH', '')])}
    if slurm_log is not None:
        env.update(SLURM_JOB_ID='4242', STUB_SLURM_LOG=str(slurm_log))
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300, start_new_session=True)
    log = f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    assert proc.returncode == expect, log
    return proc.stderr


def train_py(cfg, work_dir, *extra):
    return [sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work_dir), *extra]


def slurm_train(cfg, work_dir, *extra):
    return ['bash', 'tools/slurm_train.sh', 'cpu', 'deitlt', str(cfg), str(work_dir), *extra]


def test_sigterm_mid_epoch_then_resume_single_process(tmp_path):
    # 6 iterations per epoch; the signal after iteration 13 (epoch 3: DRW, window 13-14).
    reference = tmp_path / 'reference'
    run(tmp_path, train_py(config(tmp_path, True), reference), 29550)

    interrupted = tmp_path / 'interrupted'
    cfg = config(tmp_path, False, signal_at=13, signum=signal.SIGTERM, again=signal.SIGUSR1)
    stderr = run(tmp_path, train_py(cfg, interrupted), 29550, expect=REQUEUE_EXIT_STATUS)
    saved = interrupted / 'preempted_iter_14.pth'
    assert (f'preempted: SIGTERM received; saved {saved} after iteration 14 (epoch 3) and '
            'updated last_checkpoint; `--resume` continues from it.') in stderr
    assert (interrupted / 'last_checkpoint').read_text() == str(saved)
    assert not (interrupted / f'epoch_{MAX_EPOCHS}.pth').exists()
    assert not list(interrupted.glob('.*.tmp'))

    run(tmp_path, train_py(config(tmp_path, False), interrupted, '--resume'), 29550)
    assert_identical(reference / f'epoch_{MAX_EPOCHS}.pth',
                     interrupted / f'epoch_{MAX_EPOCHS}.pth')
    assert not saved.exists()  # last_checkpoint names the last epoch's now


def test_sigusr1_mid_epoch_then_resume_two_slurm_ranks(tmp_path):
    # tools/slurm_train.sh with the stub srun: 2 gloo ranks, 3 iterations per epoch and
    # rank; the signal after iteration 7 (epoch 3: DRW, window 7-8).
    reference = tmp_path / 'reference'
    log = tmp_path / 'slurm.log'
    env_log = dict(slurm_log=log)
    run(tmp_path, ['env', 'GPUS=2', *slurm_train(config(tmp_path, False), reference)],
        29553, **env_log)
    assert 'srun pid=' in log.read_text() and 'ntasks=2 partition=cpu job_name=deitlt' \
        in log.read_text()

    interrupted = tmp_path / 'interrupted'
    cfg = config(tmp_path, True, signal_at=7, signum=signal.SIGUSR1, again=signal.SIGTERM)
    stderr = run(tmp_path, ['env', 'GPUS=2', *slurm_train(cfg, interrupted)], 29553,
                 expect=REQUEUE_EXIT_STATUS, **env_log)
    saved = interrupted / 'preempted_iter_8.pth'
    assert f'preempted: SIGUSR1 received; saved {saved} after iteration 8 (epoch 3)' in stderr
    assert 'scontrol requeue 4242' in log.read_text()
    assert (interrupted / 'last_checkpoint').read_text() == str(saved)

    run(tmp_path, ['env', 'GPUS=2', *slurm_train(config(tmp_path, True), interrupted,
                                                '--resume')], 29553, **env_log)
    assert_identical(reference / f'epoch_{MAX_EPOCHS}.pth',
                     interrupted / f'epoch_{MAX_EPOCHS}.pth')
