"""tools/train.py --amp: SAM configs get the mixed-precision SAM wrapper."""
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
TEACHER_CONFIG = REPO / 'configs' / 'teachers' / 'resnet32_ce-drw-sam_cifar10-lt-if100.py'
SMOKE_CONFIG = REPO / 'configs' / 'smoke' / 'tiny_resnet_random_lt.py'


@pytest.fixture()
def train_tool(monkeypatch):
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        import train
    finally:
        sys.path.pop(0)
    # --amp refuses to run without CUDA; the config rewrite is what is tested here.
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    return train


@pytest.mark.parametrize('config,wrapper', [(TEACHER_CONFIG, 'SAMAmpOptimWrapper'),
                                            (SMOKE_CONFIG, 'AmpOptimWrapper')])
def test_amp_keeps_sam(train_tool, config, wrapper):
    args = train_tool.parse_args([str(config), '--amp'])
    cfg = train_tool.merge_args(Config.fromfile(str(config)), args)
    assert cfg.optim_wrapper.type == wrapper
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
