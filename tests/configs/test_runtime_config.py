"""configs/_base_/default_runtime.py is mmpretrain's runtime, with the differences listed;
configs/_base_/deitlt_default_hooks.py adds deitlt_mm's default hooks, and every config
inherits it."""
from pathlib import Path

import mmpretrain
import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
BASE = REPO / 'configs' / '_base_'
MMPRETRAIN_RUNTIME = Path(mmpretrain.__file__).parent / '.mim' / 'configs' / '_base_' / \
    'default_runtime.py'
CONFIGS = sorted(str(p.relative_to(REPO / 'configs')) for p in (REPO / 'configs').rglob('*.py')
                 if '_base_' not in p.parts)
# Our hooks: replayable random streams, fail-fast checks, the training class counts, the
# reference's accumulation windows, and mmengine's checkpoint hook made atomic.
ADDED_HOOKS = dict(reseed='ReseedHook', num_classes_check='NumClassesCheckHook',
                   non_finite_check='NonFiniteCheckHook',
                   train_class_counts='TrainClassCountsHook',
                   accumulation='EpochAccumulationHook')


def test_runtime_is_mmpretrains_but_for_the_listed_differences():
    ours = Config.fromfile(str(BASE / 'default_runtime.py')).to_dict()
    theirs = Config.fromfile(str(MMPRETRAIN_RUNTIME)).to_dict()
    differences = {
        'default_scope': ('mmpretrain', 'deitlt_mm'),
        'randomness': (dict(seed=None, deterministic=False), dict(seed=0, deterministic=False)),
    }
    for key, (their_value, our_value) in differences.items():
        assert (theirs.pop(key), ours.pop(key)) == (their_value, our_value), key
    theirs['default_hooks']['checkpoint']['max_keep_ckpts'] = 3
    assert (theirs['env_cfg'].pop('cudnn_benchmark'), ours['env_cfg'].pop('cudnn_benchmark')) \
        == (False, True)
    added = {'custom_imports', 'model_wrapper_cfg'}
    assert {k: v for k, v in ours.items() if k not in added} == theirs


def test_default_hooks_file_is_the_runtime_plus_our_hooks():
    runtime = Config.fromfile(str(BASE / 'default_runtime.py')).to_dict()
    ours = Config.fromfile(str(BASE / 'deitlt_default_hooks.py')).to_dict()
    for key, hook_type in ADDED_HOOKS.items():
        assert ours['default_hooks'].pop(key) == dict(type=hook_type), key
    assert ours['default_hooks']['checkpoint'].pop('type') == 'AtomicCheckpointHook'
    assert runtime['default_hooks']['checkpoint'].pop('type') == 'CheckpointHook'
    assert ours == runtime


@pytest.mark.parametrize('config', CONFIGS)
def test_every_config_inherits_our_default_hooks(config):
    hooks = Config.fromfile(str(REPO / 'configs' / config)).default_hooks
    assert {key: hooks[key]['type'] for key in ADDED_HOOKS} == ADDED_HOOKS
    # The GPU benchmark config saves nothing (checkpoint=None).
    assert hooks.checkpoint is None or hooks.checkpoint.type == 'AtomicCheckpointHook'
