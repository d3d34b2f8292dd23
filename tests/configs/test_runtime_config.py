"""configs/_base_/default_runtime.py is mmpretrain's runtime, with the differences listed."""
from pathlib import Path

import mmpretrain
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
MMPRETRAIN_RUNTIME = Path(mmpretrain.__file__).parent / '.mim' / 'configs' / '_base_' / \
    'default_runtime.py'


def test_runtime_is_mmpretrains_but_for_the_listed_differences():
    ours = Config.fromfile(str(REPO / 'configs' / '_base_' / 'default_runtime.py')).to_dict()
    theirs = Config.fromfile(str(MMPRETRAIN_RUNTIME)).to_dict()
    differences = {
        'default_scope': ('mmpretrain', 'deitlt_mm'),
        'randomness': (dict(seed=None, deterministic=False), dict(seed=0, deterministic=False)),
    }
    for key, (their_value, our_value) in differences.items():
        assert (theirs.pop(key), ours.pop(key)) == (their_value, our_value), key
    # Our hooks: training counts for the metrics, replayable random streams, fail-fast
    # checks, and mmengine's checkpoint hook with an atomic `last_checkpoint`.
    added_hooks = dict(train_class_counts='TrainClassCountsHook', reseed='ReseedHook',
                       num_classes_check='NumClassesCheckHook',
                       non_finite_check='NonFiniteCheckHook',
                       accumulation='EpochAccumulationHook')
    for key, hook_type in added_hooks.items():
        assert ours['default_hooks'].pop(key) == dict(type=hook_type), key
    assert ours['default_hooks']['checkpoint'].pop('type') == 'AtomicCheckpointHook'
    assert theirs['default_hooks']['checkpoint'].pop('type') == 'CheckpointHook'
    theirs['default_hooks']['checkpoint']['max_keep_ckpts'] = 3
    assert (theirs['env_cfg'].pop('cudnn_benchmark'), ours['env_cfg'].pop('cudnn_benchmark')) \
        == (False, True)
    added = {'custom_imports', 'model_wrapper_cfg'}
    assert {k: v for k, v in ours.items() if k not in added} == theirs
