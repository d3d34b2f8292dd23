"""compile_student: mmengine's `compile` key compiles the student network in place."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from deitlt_mm.registry import MODELS
from deitlt_mm.runtime.compile_student import compile_student, pop_compile_cfg

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize('value,expected', [
    (True, {}), (False, None), (None, None), (dict(backend='eager'), dict(backend='eager'))])
def test_pop_compile_cfg(value, expected):
    cfg = Config(dict(compile=value, model=dict()))
    assert pop_compile_cfg(cfg) == expected
    assert 'compile' not in cfg  # mmengine must not compile train_step as well
    assert pop_compile_cfg(Config(dict(model=dict()))) is None


def test_pop_compile_cfg_rejects_other_values():
    with pytest.raises(ValueError, match="compile must be True, False or a dict.*'yes'"):
        pop_compile_cfg(Config(dict(compile='yes')))


def train_once(model):
    np.random.seed(0)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    data = dict(inputs=torch.randint(0, 256, (4, 3, 32, 32), generator=generator,
                                     dtype=torch.uint8),
                data_samples=[DataSample().set_gt_label(y) for y in (0, 1, 2, 3)])
    return model.train_step(data, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))


def test_compiled_student_trains_like_the_eager_one():
    cfg = Config.fromfile(str(REPO / 'configs/_base_/models/deit_tiny_patch4_32.py')).model
    cfg.head.loss.distillation_type = 'none'
    eager = MODELS.build(cfg)
    compiled = copy.deepcopy(eager)
    keys = list(compiled.state_dict())
    assert compile_student(compiled, dict(backend='eager')) == ['backbone']
    assert compiled.backbone._compiled_call_impl is not None
    assert list(compiled.state_dict()) == keys  # no `_orig_mod.` prefixes in checkpoints
    want, got = train_once(eager), train_once(compiled)
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=1e-6, atol=1e-7)
    for (name, param), (_, ref) in zip(compiled.named_parameters(), eager.named_parameters()):
        torch.testing.assert_close(param, ref, rtol=1e-6, atol=1e-7, msg=name)


def test_model_without_a_student_network_is_refused():
    with pytest.raises(ValueError, match='Linear has no backbone or neck'):
        compile_student(torch.nn.Linear(2, 2), {})
