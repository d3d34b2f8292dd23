"""tools/train.py, tools/test.py and tools/dist_train.sh end to end on tiny configs."""
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config

from deitlt_mm.runtime import prepare_cfg
from tests._runner_configs import tiny_classifier_cfg

REPO = Path(__file__).resolve().parents[2]

RANK_DUMP_HOOK = '''
import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class RankParamDumpHook(Hook):
    """Saves each rank's parameters and wrappers after training, for tests to compare."""

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        params = {k: v.detach().cpu() for k, v in model.named_parameters()}
        info = dict(world_size=dist.get_world_size(), model=type(runner.model).__name__,
                    optim_wrapper=type(runner.optim_wrapper).__name__,
                    steps=runner.optim_wrapper.inner_count)
        torch.save(dict(params=params, info=info),
                   f'{runner.work_dir}/rank{dist.get_rank()}.pth')
'''


def _run(cmd, cwd, env=None, timeout=300):
    env = {**os.environ, 'PYTHONUNBUFFERED': '1', **(env or {})}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f'{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc


def _write_cfg(tmp_path, **kwargs):
    cfg = tiny_classifier_cfg(tmp_path / 'work', **kwargs)
    cfg['test_dataloader'] = cfg['val_dataloader']
    cfg['test_evaluator'] = cfg['val_evaluator']
    cfg['test_cfg'] = dict()
    path = tmp_path / 'tiny_cfg.py'
    Config(cfg).dump(str(path))
    return path


def test_train_then_resume_then_test(tmp_path):
    cfg = _write_cfg(tmp_path)
    work = tmp_path / 'work'
    _run([sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work)], REPO)
    assert (work / 'iter_2.pth').is_file()
    assert (work / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')

    _run([sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work),
          '--resume', '--cfg-options', 'train_cfg.max_iters=4'], REPO)
    resumed = torch.load(work / 'iter_4.pth', map_location='cpu')
    assert resumed['meta']['iter'] == 4
    # The loss history of the first run came back with the resume: 2 + 2 entries.
    assert len(resumed['message_hub']['log_scalars']['train/loss'].data[0]) == 4

    # The work dir stands for its latest checkpoint.
    out = tmp_path / 'results' / 'metrics.json'
    proc = _run([sys.executable, 'tools/test.py', str(cfg), str(work),
                 '--work-dir', str(work), '--out', str(out)], REPO)
    result = json.loads(out.read_text())
    assert result['checkpoint'] == str(work / 'iter_4.pth')
    assert result['iter'] == 4  # from the checkpoint's meta
    top1 = result['metrics']['accuracy/top1']
    assert 0.0 <= top1 <= 100.0
    assert f'accuracy/top1: {top1:.2f}' in proc.stdout


def test_test_tool_rejects_missing_checkpoint(tmp_path):
    cfg = _write_cfg(tmp_path)
    proc = subprocess.run([sys.executable, 'tools/test.py', str(cfg), str(tmp_path / 'no.pth')],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    # One line (after the import warnings of mmcv-lite), no traceback, exit status 1.
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == f'error: checkpoint not found: {tmp_path / "no.pth"}'
    assert 'Traceback' not in proc.stderr


def test_auto_scale_lr_counts_gradient_accumulation(tmp_path):
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        import train as train_tool
    finally:
        sys.path.pop(0)
    cfg_path = _write_cfg(tmp_path)
    args = train_tool.parse_args([str(cfg_path), '--auto-scale-lr', '--cfg-options',
                                  'auto_scale_lr.base_batch_size=512',
                                  'optim_wrapper.accumulative_counts=4'])
    cfg = prepare_cfg(Config.fromfile(str(cfg_path)), args)
    # mmengine's ratio is devices * batch / base; 4 accumulation steps must count.
    assert cfg.auto_scale_lr.enable
    assert 1 * 4 / cfg.auto_scale_lr.base_batch_size == (1 * 4 * 4) / 512


def train_two_ranks(tmp_path, port, **cfg_overrides):
    """``tools/dist_train.sh CFG 2`` on the tiny config (gloo, CPU): both ranks' dumps."""
    (tmp_path / 'rank_dump_hook.py').write_text(RANK_DUMP_HOOK)
    cfg_path = _write_cfg(tmp_path)
    cfg = Config.fromfile(str(cfg_path))
    cfg.custom_imports = dict(imports=['rank_dump_hook'], allow_failed_imports=False)
    cfg.custom_hooks = [dict(type='RankParamDumpHook')]
    cfg.model_wrapper_cfg = dict(type='deitlt_mm.DeviceAwareDistributedDataParallel',
                                 broadcast_buffers=False)
    for key, value in cfg_overrides.items():
        cfg[key] = value
    cfg.dump(str(cfg_path))
    work = tmp_path / 'work'
    env = {'PYTHONPATH': f'{tmp_path}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
           'PORT': str(port), 'OMP_NUM_THREADS': '1'}
    _run(['bash', 'tools/dist_train.sh', str(cfg_path), '2', '--work-dir', str(work)], REPO,
         env=env)
    return torch.load(work / 'rank0.pth'), torch.load(work / 'rank1.pth'), work


def test_dist_train_two_cpu_ranks_stay_in_sync(tmp_path):
    rank0, rank1, work = train_two_ranks(tmp_path, port=29531)
    assert rank0['info'] == rank1['info'] == dict(
        world_size=2, model='DeviceAwareDistributedDataParallel',
        optim_wrapper='OptimWrapper', steps=2)
    assert rank0['params'].keys() == rank1['params'].keys()
    for name, value in rank0['params'].items():
        torch.testing.assert_close(value, rank1['params'][name], rtol=0, atol=0)
    # Rank 0's checkpoint holds those same weights.
    ckpt = torch.load(work / 'iter_2.pth', map_location='cpu')['state_dict']
    torch.testing.assert_close(ckpt['head.fc.weight'], rank0['params']['head.fc.weight'])
