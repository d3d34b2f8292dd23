"""tools/slurm_test.sh under the stand-in ``srun`` of ./stub_slurm: two gloo ranks on CPU.

``tools/slurm_train.sh`` under the same stand-in, with a preemption and its requeue, is
tested in test_preemption.py.
"""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests._tools import load_tool

REPO = Path(__file__).resolve().parents[2]
STUB_SLURM = Path(__file__).resolve().parent / 'stub_slurm'
SMOKE = 'configs/smoke/tiny_resnet_random_lt.py'


def test_slurm_test_scores_a_work_dir_with_two_gloo_ranks(tmp_path):
    work = tmp_path / 'work'
    load_tool('train.py').main([SMOKE, '--work-dir', str(work),
                                '--cfg-options', 'train_cfg.max_epochs=1'])
    out, log = tmp_path / 'metrics.json', tmp_path / 'srun.log'
    env = {name: value for name, value in os.environ.items()
           if not name.startswith('SLURM_') and name not in (
               'MASTER_ADDR', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'SRUN_ARGS')}
    env.update(PATH=os.pathsep.join([str(STUB_SLURM), str(Path(sys.executable).parent),
                                     env['PATH']]),
               PYTHONPATH=os.pathsep.join([str(REPO), env.get('PYTHONPATH', '')]),
               OMP_NUM_THREADS='1', STUB_SLURM_LOG=str(log), MASTER_PORT=_free_port(),
               GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1', PYTHON=sys.executable,
               SRUN_ARGS='--requeue --signal=USR1@90')
    proc = subprocess.run(['bash', 'tools/slurm_test.sh', 'debug', 'eval', SMOKE, str(work),
                           '--out', str(out), '--work-dir', str(tmp_path / 'test')],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # SRUN_ARGS reach srun as separate options.
    assert ('ntasks=2 partition=debug job_name=eval requeue=True signal=USR1@90'
            in log.read_text())
    result = json.loads(out.read_text())
    assert result['checkpoint'] == str(work / 'epoch_1.pth')
    assert 0.0 <= result['metrics']['accuracy/top1'] <= 100.0
    test_log = next((tmp_path / 'test').glob('*/*.log')).read_text()
    assert 'Distributed launcher: slurm' in test_log
    assert 'GPU number: 2' in test_log  # mmengine's name for the world size


def test_slurm_scripts_name_their_arguments_when_some_are_missing():
    for script, last in (('slurm_train.sh', 'WORK_DIR'), ('slurm_test.sh', 'CHECKPOINT')):
        proc = subprocess.run(['bash', f'tools/{script}', 'debug', 'job', SMOKE], cwd=REPO,
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 1
        assert proc.stderr == (f'usage: tools/{script} PARTITION JOB_NAME CONFIG {last} '
                               f'[{script.replace("slurm_", "").replace(".sh", ".py")} args]\n')


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return str(probe.getsockname()[1])
