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
from tests._tiny_vit import config_text
from tests._tools import load_tool
from tests.tools.test_train_test_tools import train_two_ranks

REPO = Path(__file__).resolve().parents[2]
COMPILED_GRAPHS = []


@torch._dynamo.register_backend
def record_graphs(graph_module, example_inputs):
    """A torch.compile backend that runs the graph as traced and records, per compile,
    whether grad mode was on and whether the batch dimension is symbolic (dynamic)."""
    traced_inputs = [node.meta['example_value']
                     for node in graph_module.graph.find_nodes(op='placeholder')]
    images = next(value for value in traced_inputs if isinstance(value, torch.Tensor))
    COMPILED_GRAPHS.append(dict(grad=torch.is_grad_enabled(),
                                dynamic_batch=isinstance(images.shape[0], torch.SymInt)))
    return graph_module.forward


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
    assert 'forward' in vars(compiled.backbone)  # the compiled forward, on the instance
    assert list(compiled.state_dict()) == keys  # no `_orig_mod.` prefixes in checkpoints
    want, got = train_once(eager), train_once(compiled)
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=1e-6, atol=1e-7)
    for (name, param), (_, ref) in zip(compiled.named_parameters(), eager.named_parameters()):
        torch.testing.assert_close(param, ref, rtol=1e-6, atol=1e-7, msg=name)


def test_model_without_a_student_network_is_refused():
    with pytest.raises(ValueError, match='Linear has no backbone or neck'):
        compile_student(torch.nn.Linear(2, 2), {})


def test_partial_batch_and_validation_compile_one_graph_each(tmp_path):
    # 15 training images in batches of 4 (the last one of 3), 12 validation images in
    # batches of 5 (the last one of 2), validation after each of 2 epochs.
    config = tmp_path / 'student.py'
    config.write_text(config_text(train=True))
    torch._dynamo.reset()
    COMPILED_GRAPHS.clear()
    load_tool('train.py').main([str(config), '--work-dir', str(tmp_path / 'work'),
                                '--cfg-options', 'train_dataloader.batch_size=4',
                                'compile.backend=record_graphs'])
    # One graph for training, one for validation (no_grad), both for any batch size:
    # no recompile on the partial batches nor in the second epoch.
    assert COMPILED_GRAPHS == [dict(grad=True, dynamic_batch=True),
                               dict(grad=False, dynamic_batch=True)]


def test_compiled_student_trains_under_ddp_on_two_cpu_ranks(tmp_path):
    rank0, rank1, work = train_two_ranks(tmp_path, port=29539, compile=dict(backend='eager'),
                                         log_level='INFO')
    assert rank0['info'] == rank1['info'] == dict(
        world_size=2, model='DeviceAwareDistributedDataParallel',
        optim_wrapper='OptimWrapper', steps=2)
    for name, value in rank0['params'].items():
        torch.testing.assert_close(value, rank1['params'][name], rtol=0, atol=0)
    log = next(work.glob('*/*.log')).read_text()
    assert "compile: torch.compile(backbone, neck, {'backend': 'eager'})" in log


@pytest.mark.parametrize('compile_cfg,dynamic_batch', [
    (dict(backend='record_graphs'), True),
    (dict(backend='record_graphs', dynamic=False), False)])
def test_batch_dimension_is_marked_dynamic_unless_dynamic_is_false(compile_cfg, dynamic_batch):
    cfg = Config.fromfile(str(REPO / 'configs/_base_/models/deit_tiny_patch4_32.py')).model
    cfg.head.loss.distillation_type = 'none'
    model = MODELS.build(cfg)
    compile_student(model, compile_cfg)
    torch._dynamo.reset()
    COMPILED_GRAPHS.clear()
    with torch.no_grad():
        model.backbone(torch.zeros(3, 3, 32, 32))
    assert COMPILED_GRAPHS == [dict(grad=False, dynamic_batch=dynamic_batch)]
