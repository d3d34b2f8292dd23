"""setup_env: the mmengine-on-current-torch set-up, applied only when asked for."""
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.fileio import get_file_backend
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader, Runner
from mmengine.runner.checkpoint import _load_checkpoint

from deitlt_mm.errors import CheckpointError, CheckpointNotFoundError
from deitlt_mm.fileio import AtomicLocalBackend
from deitlt_mm.runtime.env import load_local_checkpoint, setup_env, use_weights_only_local_loader
from tests._runner_configs import tiny_classifier_cfg

REPO = Path(__file__).resolve().parents[2]


def _params(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_train_resume_and_load_from(tmp_path):
    runner = Runner.from_cfg(Config(tiny_classifier_cfg(tmp_path / 'a')))
    runner.train()
    ckpt = tmp_path / 'a' / 'iter_2.pth'
    assert ckpt.is_file()
    # What made mmengine's resume fail on torch >= 2.6: without the allow-list
    # a weights_only load of the runner's own checkpoint is refused.
    allowed = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(pickle.UnpicklingError, match='HistoryBuffer'):
            torch.load(ckpt, map_location='cpu', weights_only=True)
    finally:
        torch.serialization.add_safe_globals(allowed)
    trained = _params(runner.model)
    saved = torch.load(ckpt, map_location='cpu')  # weights_only=True (torch default)
    assert saved['meta']['iter'] == 2
    assert len(saved['message_hub']['log_scalars']['train/loss'].data[0]) == 2

    cfg = tiny_classifier_cfg(tmp_path / 'a', max_iters=4)
    cfg.update(resume=True, load_from=str(ckpt))
    resumed = Runner.from_cfg(Config(cfg))
    resumed.load_or_resume()
    assert resumed.iter == 2
    for key, value in _params(resumed.model).items():
        torch.testing.assert_close(value, trained[key], rtol=0, atol=0)
    # The optimizer state (momentum) comes back too.
    assert resumed.optim_wrapper.optimizer.state_dict()['state']
    resumed.train()
    assert resumed.iter == 4
    assert (tmp_path / 'a' / 'iter_4.pth').is_file()

    cfg = tiny_classifier_cfg(tmp_path / 'b', max_iters=1)
    cfg.update(load_from=str(ckpt))
    loaded = Runner.from_cfg(Config(cfg))
    loaded.load_or_resume()
    for key, value in _params(loaded.model).items():
        torch.testing.assert_close(value, trained[key], rtol=0, atol=0)
    assert loaded.iter == 0  # load_from takes weights only, not the training state


def test_plain_state_dict_loads_weights_only(tmp_path):
    teacher = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(2))
    teacher(torch.randn(2, 3, 8, 8))
    path = tmp_path / 'teacher.pth'
    torch.save(teacher.state_dict(), path)
    state = torch.load(path, map_location='cpu', weights_only=True)
    assert set(state) == set(teacher.state_dict())
    torch.testing.assert_close(state['1.running_mean'], teacher[1].running_mean)


class _RunsShell:
    def __reduce__(self):
        return (os.system, ('echo should-not-run',))


class _ReachesAnAttribute:
    def __reduce__(self):
        return (getattr, (HistoryBuffer, '__init__'))


@pytest.mark.parametrize('payload', [_RunsShell(), _ReachesAnAttribute()])
def test_weights_only_still_refuses_code(tmp_path, payload):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'x': payload}, path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location='cpu', weights_only=True)


def test_history_buffer_round_trip_weights_only(tmp_path):
    buffer = HistoryBuffer()
    for v in (3.0, 1.0, 2.0):
        buffer.update(v)
    path = tmp_path / 'hb.pth'
    torch.save({'buf': buffer}, path)
    loaded = torch.load(path, weights_only=True)['buf']
    assert loaded.mean() == pytest.approx(2.0)
    assert loaded.min() == 1.0 and loaded.current() == 2.0


def test_mmengine_loads_stay_weights_only_when_the_environment_disables_them(
        tmp_path, monkeypatch):
    """load_from, resume and init_cfg checkpoints go through mmengine's local loader."""
    path = tmp_path / 'epoch_1.pth'
    torch.save({'state_dict': {}, 'x': _RunsShell()}, path)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.warns(UserWarning, match='TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD is set, but '
                                         'deitlt_mm still loads checkpoints with '
                                         'weights_only=True'):
        use_weights_only_local_loader()
    with pytest.raises(CheckpointError, match=f'refusing to load {path}: it pickles '
                                              'posix.system'):
        _load_checkpoint(str(path), map_location='cpu')
    with pytest.raises(CheckpointNotFoundError, match='checkpoint not found: '):
        _load_checkpoint(str(tmp_path / 'none.pth'), map_location='cpu')


# Run in a fresh interpreter: what mmengine / torch hold before and after `import deitlt_mm`,
# then mmpretrain's own DeiT built in mmpretrain's scope, saved and loaded by mmengine.
IMPORT_PROBE = '''
import json, sys, tempfile, warnings
import timm  # noqa
import torch
from mmengine.fileio import io as mmengine_io
from mmengine.fileio.backends import registry_utils
from mmengine.registry import DefaultScope
from mmengine.runner import CheckpointLoader


def state():
    return dict(
        backends={k: repr(v) for k, v in registry_utils.backends.items()},
        prefixes={k: repr(v) for k, v in registry_utils.prefix_to_backends.items()},
        backend_instances=sorted(map(repr, mmengine_io.backend_instances)),
        loaders={k: repr(v) for k, v in CheckpointLoader._schemes.items()},
        safe_globals=sorted(map(repr, torch.serialization.get_safe_globals())),
        scope=repr(DefaultScope.get_current_instance()))


# What mmpretrain itself loads (torch adds its DTensor classes as it imports them).
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
before = state()
import deitlt_mm  # noqa
after = state()

from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint, save_checkpoint
from mmpretrain.registry import MODELS

init_default_scope('mmpretrain')
cfg = dict(type='ImageClassifier',
           backbone=dict(type='DistilledVisionTransformer', arch='deit-tiny', img_size=32,
                         patch_size=16),
           head=dict(type='DeiTClsHead', num_classes=10, in_channels=192))
model, again = MODELS.build(cfg), MODELS.build(cfg)
path = tempfile.mkdtemp() + '/deit.pth'
save_checkpoint(model.state_dict(), path)
load_checkpoint(again, path, map_location='cpu', strict=True)
same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                              again.state_dict().values()))
print(json.dumps(dict(before=before, after=after, backbone=type(model.backbone).__module__,
                      loaded=same)))
'''


def test_importing_deitlt_mm_leaves_mmengine_and_torch_as_they_were():
    """Importing registers components only; mmpretrain's DeiT still builds, saves and
    loads through mmengine's own file backend and checkpoint loader."""
    proc = subprocess.run([sys.executable, '-c', IMPORT_PROBE], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    probe = json.loads(proc.stdout.splitlines()[-1])
    assert probe['after'] == probe['before']
    assert probe['backbone'].startswith('mmpretrain.')
    assert probe['loaded']


def test_setup_env_changes_what_importing_does_not():
    """What the probe above compares is what setup_env sets (the test process has it)."""
    assert HistoryBuffer in torch.serialization.get_safe_globals()
    assert isinstance(get_file_backend('/tmp/x.pth'), AtomicLocalBackend)
    assert CheckpointLoader._schemes[''] is load_local_checkpoint
    assert DefaultScope.get_current_instance().scope_name == 'deitlt_mm'
    setup_env()  # idempotent: still the same loader, no second warning
    assert CheckpointLoader._schemes[''] is load_local_checkpoint
