"""tools/slurm_train.sh and tools/slurm_test.sh under a stand-in ``srun``: gloo ranks on CPU.

The stand-in (written into the test's folder, first on ``PATH``) records its arguments,
then runs the command as ``--ntasks`` local tasks with the variables real srun gives each
task (``SLURM_PROCID``, ``SLURM_LOCALID``, ``SLURM_NTASKS``, ``SLURM_NODELIST``,
``SLURM_JOB_ID``), and stops the others when one fails, as ``--kill-on-bad-exit=1`` does.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SMOKE = 'configs/smoke/tiny_resnet_random_lt.py'

SRUN_STUB = '''#!PYTHON
import json
import os
import socket
import subprocess
import sys
import time

args = sys.argv[1:]
with open(os.environ['SRUN_STUB_LOG'], 'w') as log:
    json.dump(args, log)
ntasks = 1
while args[0].startswith('-'):
    option = args.pop(0)
    if option in ('-p', '--partition'):
        args.pop(0)
    elif option.startswith('--ntasks='):
        ntasks = int(option.split('=', 1)[1])
with socket.socket() as probe:
    probe.bind(('127.0.0.1', 0))
    port = probe.getsockname()[1]
job = dict(os.environ, SLURM_JOB_ID='4242', SLURM_NTASKS=str(ntasks),
           SLURM_NODELIST='localhost', MASTER_PORT=str(port))
tasks = [subprocess.Popen(args, env=dict(job, SLURM_PROCID=str(rank), SLURM_LOCALID=str(rank)))
         for rank in range(ntasks)]
failed = 0
while any(task.poll() is None for task in tasks):
    failed = failed or next((task.returncode for task in tasks if task.returncode), 0)
    if failed:
        for task in tasks:
            if task.poll() is None:
                task.kill()
    time.sleep(0.1)
failed = failed or next((task.returncode for task in tasks if task.returncode), 0)
with open(os.environ['SRUN_STUB_LOG'] + '.exit', 'w') as log:
    json.dump([task.returncode for task in tasks], log)
sys.exit(1 if failed else 0)
'''

# What the scripts put before the command, for GPUS=2 GPUS_PER_NODE=2 CPUS_PER_TASK=1.
SRUN_OPTIONS = ['-p', 'debug', '--job-name=job', '--gres=gpu:2', '--ntasks=2',
                '--ntasks-per-node=2', '--cpus-per-task=1', '--kill-on-bad-exit=1']


def run_script(tmp_path, script, *args, srun_args=None):
    """``bash tools/<script> args`` from the repository root with the stand-in srun.

    Returns the finished process, srun's arguments and each task's exit status.
    """
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    srun = bin_dir / 'srun'
    srun.write_text(SRUN_STUB.replace('PYTHON', sys.executable))
    srun.chmod(0o755)
    log = tmp_path / f'{script}.srun.json'
    env = {name: value for name, value in os.environ.items()
           if not name.startswith('SLURM_') and name not in (
               'MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'SRUN_ARGS')}
    env.update(PATH=f'{bin_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}'
                    f'{env["PATH"]}',
               PYTHONPATH=f'{REPO}{os.pathsep}{env.get("PYTHONPATH", "")}',
               PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1', SRUN_STUB_LOG=str(log),
               GPUS='2', GPUS_PER_NODE='2', CPUS_PER_TASK='1')
    if srun_args is not None:
        env['SRUN_ARGS'] = srun_args
    proc = subprocess.run(['bash', f'tools/{script}', *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f'{script} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    exits = json.loads(Path(f'{log}.exit').read_text())
    return proc, json.loads(log.read_text()), exits


def test_slurm_train_then_slurm_test_run_two_gloo_ranks(tmp_path):
    work = tmp_path / 'work'
    options = ['--cfg-options', 'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1']
    _, srun_args, exits = run_script(
        tmp_path, 'slurm_train.sh', 'debug', 'job', SMOKE, work, *options,
        srun_args='--requeue --signal=USR1@90')
    assert srun_args == [*SRUN_OPTIONS, '--requeue', '--signal=USR1@90', 'python', '-u',
                         str(REPO / 'tools' / 'train.py'), SMOKE, f'--work-dir={work}',
                         '--launcher', 'slurm', *options]
    assert exits == [0, 0]
    log = next(work.glob('*/*.log')).read_text()
    assert 'Distributed launcher: slurm' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    # 45 training images, batches of 8 per rank on 2 ranks: 3 iterations in the epoch.
    assert 'Epoch(train) [1][3/3]' in log
    assert (work / 'last_checkpoint').read_text().strip() == str(work / 'epoch_1.pth')

    out = tmp_path / 'metrics.json'
    _, srun_args, exits = run_script(tmp_path, 'slurm_test.sh', 'debug', 'job', SMOKE, work,
                                     '--out', out, '--work-dir', tmp_path / 'test')
    # No SRUN_ARGS: nothing between srun's own options and the command.
    assert srun_args == [*SRUN_OPTIONS, 'python', '-u', str(REPO / 'tools' / 'test.py'), SMOKE,
                         str(work), '--launcher', 'slurm', '--out', str(out), '--work-dir',
                         str(tmp_path / 'test')]
    assert exits == [0, 0]
    result = json.loads(out.read_text())
    assert result['checkpoint'] == str(work / 'epoch_1.pth')
    assert 0.0 <= result['metrics']['accuracy/top1'] <= 100.0
    assert 'GPU number: 2' in next((tmp_path / 'test').glob('*/*.log')).read_text()


def test_slurm_scripts_name_their_arguments_when_some_are_missing():
    for script, last in (('slurm_train.sh', 'WORK_DIR'), ('slurm_test.sh', 'CHECKPOINT')):
        proc = subprocess.run(['bash', f'tools/{script}', 'debug', 'job', SMOKE], cwd=REPO,
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 1
        assert proc.stderr == (f'usage: tools/{script} PARTITION JOB_NAME CONFIG {last} '
                               f'[{script.replace("slurm_", "").replace(".sh", ".py")} args]\n')
