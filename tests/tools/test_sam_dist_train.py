"""SAMOptimWrapper under tools/dist_train.sh: two CPU ranks (gloo DDP) stay in sync."""
import os

import torch
from mmengine.config import Config

from tests.tools.test_train_test_tools import REPO, _run, _write_cfg

SAM_DUMP_HOOK = '''
import torch
import torch.distributed as dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


@HOOKS.register_module()
class SAMParamDumpHook(Hook):
    """Saves each rank's parameters and optimizer wrapper after training."""

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        params = {k: v.detach().cpu() for k, v in model.named_parameters()}
        info = dict(world_size=dist.get_world_size(), model=type(runner.model).__name__,
                    wrapper=type(runner.optim_wrapper).__name__,
                    steps=runner.optim_wrapper.inner_count)
        torch.save(dict(params=params, info=info),
                   f'{runner.work_dir}/rank{dist.get_rank()}.pth')
'''


def test_sam_with_ddp_on_two_cpu_ranks(tmp_path):
    (tmp_path / 'sam_dump_hook.py').write_text(SAM_DUMP_HOOK)
    cfg_path = _write_cfg(tmp_path)
    cfg = Config.fromfile(str(cfg_path))
    cfg.custom_imports = dict(imports=['sam_dump_hook'], allow_failed_imports=False)
    cfg.custom_hooks = [dict(type='SAMParamDumpHook')]
    cfg.optim_wrapper = dict(type='SAMOptimWrapper', rho=0.5,
                             optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
    cfg.model_wrapper_cfg = dict(type='DeviceAwareDistributedDataParallel',
                                 broadcast_buffers=False)
    cfg.dump(str(cfg_path))
    work = tmp_path / 'work'
    env = {'PYTHONPATH': f'{tmp_path}{os.pathsep}{os.environ.get("PYTHONPATH", "")}',
           'PORT': '29537', 'OMP_NUM_THREADS': '1'}
    _run(['bash', 'tools/dist_train.sh', str(cfg_path), '2', '--work-dir', str(work)], REPO,
         env=env)
    rank0 = torch.load(work / 'rank0.pth')
    rank1 = torch.load(work / 'rank1.pth')
    assert rank0['info'] == rank1['info'] == dict(
        world_size=2, model='DeviceAwareDistributedDataParallel', wrapper='SAMOptimWrapper',
        steps=2)
    for name, value in rank0['params'].items():
        torch.testing.assert_close(value, rank1['params'][name], rtol=0, atol=0)
    # Rank 0's checkpoint holds the synchronised weights.
    checkpoint = torch.load(work / 'iter_2.pth', map_location='cpu')['state_dict']
    torch.testing.assert_close(checkpoint['head.fc.weight'], rank0['params']['head.fc.weight'])
