"""MergedGroupsOptimWrapperConstructor: two AdamW groups, same per-parameter settings and
the same weights as mmengine's one-group-per-parameter optimizer."""
import copy
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from deitlt_mm.engine.optimizers.merged_groups_constructor import merge_param_groups
from deitlt_mm.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
SCHEDULE = Config.fromfile(str(REPO / 'configs/_base_/schedules/deitlt_adamw_cosine.py'))
# Exempt from weight decay by the schedule's paramwise_cfg (as timm's optimizer factory).
NO_DECAY_SUFFIXES = ('norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias',
                     'norm.weight', 'norm.bias', '.bias', 'cls_token', 'dist_token', 'pos_embed')


def tiny_student():
    cfg = Config.fromfile(str(REPO / 'configs/_base_/models/deit_tiny_patch4_32.py')).model
    cfg.backbone.drop_path_rate = 0.1  # random layers: both runs must draw alike
    cfg.head.loss.distillation_type = 'none'  # the teacher is not what is tested here
    torch.manual_seed(0)
    return MODELS.build(cfg)


def optim_cfg(**optimizer):
    cfg = copy.deepcopy(SCHEDULE.optim_wrapper)
    cfg.accumulative_counts = 1
    cfg.optimizer.update(optimizer)
    return cfg


def per_parameter_cfg(**optimizer):
    """The schedule's wrapper with mmengine's stock constructor (a group per parameter)."""
    cfg = optim_cfg(**optimizer)
    cfg.pop('constructor')
    return cfg


def settings_by_name(model, wrapper):
    group_of = {id(p): g for g in wrapper.optimizer.param_groups for p in g['params']}
    return {name: (group_of[id(p)]['lr'], group_of[id(p)]['weight_decay'])
            for name, p in model.named_parameters()}


def test_schedule_uses_merged_groups_and_fused_adamw():
    assert SCHEDULE.optim_wrapper.constructor == 'MergedGroupsOptimWrapperConstructor'
    assert SCHEDULE.optim_wrapper.optimizer.fused is True


def test_two_groups_with_the_per_parameter_settings():
    model = tiny_student()
    merged = build_optim_wrapper(model, optim_cfg())
    stock = build_optim_wrapper(model, per_parameter_cfg())
    params = list(model.parameters())
    assert len(stock.optimizer.param_groups) == len(params)
    assert len(merged.optimizer.param_groups) == 2
    assert settings_by_name(model, merged) == settings_by_name(model, stock)
    # Every parameter once, in model order within its group.
    merged_ids = [id(p) for g in merged.optimizer.param_groups for p in g['params']]
    assert sorted(merged_ids) == sorted(id(p) for p in params)
    for group in merged.optimizer.param_groups:
        order = [merged_ids.index(id(p)) for p in params if any(p is q for q in group['params'])]
        assert order == sorted(order)
    # The exemptions themselves: norms, biases, tokens, pos_embed without decay.
    for name, (lr, weight_decay) in settings_by_name(model, merged).items():
        assert lr == SCHEDULE.base_lr
        exempt = name.endswith(NO_DECAY_SUFFIXES)
        assert weight_decay == (0.0 if exempt else 0.05), name
    assert any(n.endswith('pos_embed') for n, _ in model.named_parameters())


def test_merge_fills_defaults_drops_multipliers_and_keeps_distinct_settings_apart():
    a, b, c, d, e = (torch.nn.Parameter(torch.zeros(1)) for _ in range(5))
    groups = [dict(params=[a]), dict(params=[b], weight_decay=0.0),
              dict(params=[c], lr=0.5, decay_mult=1.0), dict(params=[d], weight_decay=0.0, lr=0.1),
              dict(params=[e], lr=0.5, weight_decay=0.0, decay_mult=0.0)]
    merged = merge_param_groups(groups, defaults=dict(lr=0.5, weight_decay=0.05))
    assert [([id(p) for p in g['params']], {k: v for k, v in g.items() if k != 'params'})
            for g in merged] == [([id(a), id(c)], dict(lr=0.5, weight_decay=0.05)),
                                 ([id(b), id(e)], dict(lr=0.5, weight_decay=0.0)),
                                 ([id(d)], dict(lr=0.1, weight_decay=0.0))]


def train_three_steps(wrapper_cfg):
    model = tiny_student()
    wrapper = build_optim_wrapper(model, wrapper_cfg)
    generator = torch.Generator().manual_seed(1)
    np.random.seed(0)
    torch.manual_seed(0)
    for _ in range(3):  # Mixup/CutMix and drop path draw from the seeded generators
        data = dict(inputs=torch.randint(0, 256, (4, 3, 32, 32), generator=generator,
                                         dtype=torch.uint8),
                    data_samples=[DataSample().set_gt_label(y) for y in (0, 1, 2, 9)])
        model.train_step(data, wrapper)
    return dict(model.named_parameters())


def test_merged_foreach_is_bit_identical_and_fused_agrees_to_rounding():
    want = train_three_steps(per_parameter_cfg(fused=None, foreach=False))
    start = dict(tiny_student().named_parameters())
    assert max((want[n] - start[n]).abs().max() for n in want) > 1e-3  # it trained
    merged_foreach = train_three_steps(optim_cfg(fused=None, foreach=True))
    for name, param in merged_foreach.items():
        torch.testing.assert_close(param, want[name], rtol=0, atol=0, msg=name)
    # The fused kernel rounds differently (one pass per element): weights agree to a few
    # ulp, except the key biases. Softmax ignores a constant added to every key of a
    # query, so their true gradient is 0 and the computed one is rounding noise, which
    # Adam normalises to steps of up to lr: any change of rounding moves them by O(lr).
    merged_fused = train_three_steps(optim_cfg())
    dims = start['backbone.blocks.0.attn.qkv.bias'].numel() // 3
    for name, param in merged_fused.items():
        compared = torch.ones_like(param, dtype=torch.bool)
        if name.endswith('attn.qkv.bias'):
            compared[dims:2 * dims] = False
            assert (param - want[name])[~compared].abs().max() <= 3 * SCHEDULE.base_lr
        torch.testing.assert_close(param[compared], want[name][compared], rtol=1e-5,
                                   atol=5e-8, msg=name)
