"""tools/train.py --amp: mixed precision on CPU too; SAM configs keep their two passes."""
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from deitlt_mm.engine.optimizers import mixed_precision

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
    return train_tool.merge_args(Config.fromfile(str(config)), args)


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
    with pytest.raises(SystemExit, match='--amp: mixed precision on CPU needs bf16'):
        merged_cfg(train_tool, SMOKE_CONFIG)
