"""tools/train.py speed options: mixed precision (the GPU default, --amp on CPU, --no-amp,
SAM kept) and the `compile` key."""
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from deitlt_mm.engine.optimizers import mixed_precision
from deitlt_mm.errors import ConfigValueError
from deitlt_mm.runtime import prepare_cfg
from tests._runner_configs import TINY_PIPELINE_OPTIONS, write_tiny_smoke_student

REPO = Path(__file__).resolve().parents[2]
TEACHER_CONFIG = REPO / 'configs' / 'teachers' / 'resnet32_ce-drw-sam_cifar10-lt-if100.py'
SMOKE_CONFIG = REPO / 'configs' / 'smoke' / 'tiny_resnet_random_lt.py'


@pytest.fixture()
def train_tool():
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        import train
    finally:
        sys.path.pop(0)
    return train


def merged_cfg(train_tool, config, *options):
    args = train_tool.parse_args([str(config), '--amp', *options])
    return prepare_cfg(Config.fromfile(str(config)), args)


@pytest.mark.parametrize('config,wrapper', [(TEACHER_CONFIG, 'SAMAmpOptimWrapper'),
                                            (SMOKE_CONFIG, 'MixedPrecisionOptimWrapper')])
def test_amp_keeps_sam(train_tool, monkeypatch, config, wrapper):
    monkeypatch.setattr(mixed_precision, 'cpu_bf16_instructions', lambda: ['AMX-BF16'])
    cfg = merged_cfg(train_tool, config)
    assert cfg.optim_wrapper.type == wrapper
    assert cfg.optim_wrapper.dtype == 'auto'


def test_amp_on_a_cpu_without_bf16_stops_with_the_reason(train_tool, monkeypatch):
    monkeypatch.setattr(mixed_precision, 'cpu_bf16_instructions', lambda: [])
    monkeypatch.setattr(mixed_precision.torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ConfigValueError, match='--amp: mixed precision on CPU needs bf16'):
        merged_cfg(train_tool, SMOKE_CONFIG)


PAPER_CONFIGS = sorted((REPO / 'configs' / 'deitlt').glob('*.py')) + \
    sorted((REPO / 'configs' / 'teachers').glob('*.py'))


@pytest.mark.parametrize('config', PAPER_CONFIGS, ids=[path.stem for path in PAPER_CONFIGS])
def test_paper_configs_train_in_mixed_precision_on_gpus_unless_turned_off(
        train_tool, monkeypatch, config):
    # Resolved for a GPU without asking it: the dtype is chosen when the wrapper is built.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'get_device_capability',
                        lambda device=None: pytest.fail('GPU asked while preparing the config'))
    fp32_type = Config.fromfile(str(config)).optim_wrapper.get('type', 'OptimWrapper')
    cfg = prepare_cfg(Config.fromfile(str(config)),
                      train_tool.parse_args([str(config)]))
    assert cfg.optim_wrapper.type == mixed_precision.MIXED_PRECISION_TYPES[fp32_type]
    assert cfg.optim_wrapper.dtype == 'auto'
    cfg = prepare_cfg(Config.fromfile(str(config)),
                      train_tool.parse_args([str(config), '--no-amp']))
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == fp32_type
    assert 'dtype' not in cfg.optim_wrapper
    # On CPU the config stays as it is (float32) unless --amp asks.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    cfg = prepare_cfg(Config.fromfile(str(config)),
                      train_tool.parse_args([str(config)]))
    assert cfg.optim_wrapper.get('type', 'OptimWrapper') == fp32_type


def test_amp_and_no_amp_exclude_each_other(train_tool, capsys):
    with pytest.raises(SystemExit):
        train_tool.parse_args([str(SMOKE_CONFIG), '--amp', '--no-amp'])
    assert 'not allowed with argument' in capsys.readouterr().err




def test_amp_and_compile_train_the_student_through_the_runner(train_tool, monkeypatch, tmp_path):
    # The paper student's set-up (merged-groups fused AdamW, InPlaceMixup, teacher) at a
    # tiny size: --amp on CPU and the `compile` key (eager backend: the wiring, not codegen).
    monkeypatch.setattr(mixed_precision, 'cpu_bf16_instructions', lambda: ['AVX512-BF16'])
    config = write_tiny_smoke_student(tmp_path / 'student.py', checkpoints=True)
    work = tmp_path / 'work'
    train_tool.main([str(config), '--amp', '--work-dir', str(work), '--cfg-options',
                     'train_cfg.max_iters=2', 'compile.backend=eager', *TINY_PIPELINE_OPTIONS])
    log = next(work.glob('*/*.log')).read_text()
    assert "compile: torch.compile(backbone, {'backend': 'eager'})" in log
    assert 'Model has been "compiled"' not in log  # mmengine did not compile train_step
    assert 'mixed precision: bfloat16 autocast on cpu, no loss scaling' in log
    assert log.count('param group: ') == 2
    checkpoint = torch.load(work / 'iter_2.pth', map_location='cpu', weights_only=True)
    assert not any('_orig_mod' in key for key in checkpoint['state_dict'])
    assert len(checkpoint['optimizer']['param_groups']) == 2
    assert checkpoint['optimizer']['loss_scaler'] == {}
