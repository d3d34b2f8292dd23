"""The mmengine-on-current-torch fixes of deitlt_mm.compat."""
import os
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from deitlt_mm.compat import init_distributed, use_weights_only_local_loader
from deitlt_mm.errors import CheckpointError, CheckpointNotFoundError
from tests._runner_configs import tiny_classifier_cfg


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


def test_init_distributed_without_launcher_is_a_no_op():
    init_distributed('none')
    assert not torch.distributed.is_initialized()


def test_init_distributed_with_slurm_on_cpu_needs_a_slurm_task(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.delenv('SLURM_PROCID', raising=False)
    with pytest.raises(RuntimeError, match='--launcher slurm outside a Slurm task'):
        init_distributed('slurm')


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
