"""Restructuring configs must not change what they resolve to.

``tests/data/resolved_configs.json`` is the snapshot of every config under configs/ as
``Config.fromfile(path).to_dict()`` (``DEITLT_TEACHER_CKPT`` unset), taken before the
configs were restructured (issue 11). Every resolved value must still be equal, after
two explicit steps: :func:`effective` fills in, on both sides, what mmengine /
mmpretrain derive at build time where the restructured configs now leave it to them
(data preprocessor from the dataset config, Mixup/CutMix from ``model.train_cfg``,
scheduler ends from ``max_epochs``), and
``CHANGED`` lists the values changed on purpose, each checked against the snapshot.

Regenerate only when a value changes on purpose (and say so in the commit):
``python -m tests.configs.test_resolved_configs``.
"""
import copy
import fnmatch
import json
import os
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIG_ROOT = REPO / 'configs'
SNAPSHOT = REPO / 'tests' / 'data' / 'resolved_configs.json'
CONFIGS = sorted(str(p.relative_to(CONFIG_ROOT)) for p in CONFIG_ROOT.rglob('*.py')
                 if '_base_' not in p.parts)
SNAPSHOT_CONFIGS = sorted(json.loads(SNAPSHOT.read_text()))

ANY = object()      # the key exists in the snapshot, with any value
ABSENT = object()   # the key does not exist

# Values changed on purpose (issues 9-12), checked against the snapshot: (configs the row
# applies to, dotted key, value in the snapshot, value now); the comments say why.
NO_DISTILL = ('deitlt/baselines/*_no_distill.py', 'demo/deit_tiny_fmnist_lt_no_distill.py')
# Configs on CIFAR-LT / Fashion-MNIST-LT (the datasets with long-tail arguments), and
# every config evaluated by LongTailAccuracy.
CIFAR_LIKE = ('deitlt/*cifar*', 'deitlt/baselines/*', 'demo/*', 'teachers/resnet32_*')
LONG_TAIL_EVAL = ('deitlt/*', 'demo/*', 'teachers/*')
EVERY = ('*', )
# The paper configs, and the baselines that inherit one (those with a DIST token).
PAPER = ('deitlt/deitlt_b_*', 'deitlt/baselines/*_dist_token_labels.py')
STUDENT_SCHEDULE = ('deitlt/*', 'demo/deit*')
ORIGINAL_ORDER_TEACHER = ('deitlt/deitlt_b_imagenetlt.py', 'deitlt/deitlt_b_inat18.py')
STUDENT_ORDER_TEACHER = ('deitlt/deitlt_b_cifar*', 'deitlt/baselines/*_dist_token_labels.py',
                         'demo/deitlt_tiny_fmnist_lt.py')
# Snapshotted as demo/resnet32_fmnist_lt_teacher.py; renamed with its depth (issue 12), its
# snapshot entry with it.
DEMO_TEACHER = ('demo/resnet20_fmnist_lt_teacher.py', )
DEMO_STUDENTS = ('demo/deit*', )


def iteration_schedule(start_factor, eta_min, warmup_iters):
    """The demo's warm-up + cosine, by iteration (the cosine ends at max_iters)."""
    return [dict(type='LinearLR', start_factor=start_factor, by_epoch=False, begin=0,
                 end=warmup_iters),
            dict(type='CosineAnnealingLR', eta_min=eta_min, by_epoch=False,
                 begin=warmup_iters)]


PIXEL_ERASING = dict(probability=0.25, mode='pixel', max_count=1)


def without_erasing(pipeline):
    """``pipeline`` less its one RandomErasing step."""
    kept = [step for step in pipeline if step['type'] != 'RandomErasing']
    assert len(kept) == len(pipeline) - 1, pipeline
    return kept


CHANGED = [
    # One ViT (part 3): the no-distillation baseline is the student's backbone without its
    # DIST token (and head), with a linear head on CLS and DeiT's classifier init.
    (NO_DISTILL, 'model.backbone.type', 'VisionTransformer', 'DistilledVisionTransformer'),
    (NO_DISTILL, 'model.backbone.with_dist_token', ABSENT, False),
    (NO_DISTILL, 'model.head.type', 'VisionTransformerClsHead', 'LinearClsHead'),
    (NO_DISTILL, 'model.head.init_cfg', ABSENT,
     dict(type='TruncNormal', layer='Linear', std=0.02)),
    # ... spelled like the student: MLP ratio 2 = 128 hidden channels of 64.
    (('demo/deit_tiny_fmnist_lt_no_distill.py', ), 'model.backbone.arch.feedforward_channels',
     128, ABSENT),
    (('demo/deit_tiny_fmnist_lt_no_distill.py', ), 'model.backbone.arch.mlp_ratio', ABSENT,
     2.0),
    # One channel for class counts (part 4): a test split keeps every image and reads no
    # training file, so the long-tail arguments apply to the training split only ...
    (CIFAR_LIKE, 'val_dataloader.dataset.imb_type', ANY, ABSENT),
    (CIFAR_LIKE, 'val_dataloader.dataset.imb_factor', ANY, ABSENT),
    (CIFAR_LIKE, 'test_dataloader.dataset.imb_type', ANY, ABSENT),
    (CIFAR_LIKE, 'test_dataloader.dataset.imb_factor', ANY, ABSENT),
    # ... the training counts reach the metrics through this hook (and checkpoints) ...
    (EVERY, 'default_hooks.train_class_counts', ABSENT, dict(type='TrainClassCountsHook')),
    # ... and LongTailAccuracy logs scalars only; per-class figures stay structured.
    (LONG_TAIL_EVAL, 'val_evaluator.per_class', False, ABSENT),

    # Issue 10: atomic `last_checkpoint`, random streams replayable on --resume, and the
    # fail-fast checks, in every run's default hooks.
    (EVERY, 'default_hooks.checkpoint.type', 'CheckpointHook', 'AtomicCheckpointHook'),
    (EVERY, 'default_hooks.reseed', ABSENT, dict(type='ReseedHook')),
    (EVERY, 'default_hooks.num_classes_check', ABSENT, dict(type='NumClassesCheckHook')),
    (EVERY, 'default_hooks.non_finite_check', ABSENT, dict(type='NonFiniteCheckHook')),
    # Accumulation windows restart every epoch, as in the reference's engine.py.
    (EVERY, 'default_hooks.accumulation', ABSENT, dict(type='EpochAccumulationHook')),
    # The paper's numbers are the best epoch's: its checkpoint (by AVG top-1) and its
    # numbers in the log.
    (PAPER, 'default_hooks.checkpoint.save_best', ABSENT, 'long_tail/avg/top1'),
    (PAPER, 'default_hooks.checkpoint.rule', ABSENT, 'greater'),
    (PAPER, 'default_hooks.best_numbers', ABSENT,
     dict(type='BestNumbersHook', key='long_tail/avg/top1')),
    # Issue 12: merged optimizer groups with fused AdamW, and Mixup without its batch
    # temporaries (bit-identical to mmpretrain's), in every config of the student schedule.
    (STUDENT_SCHEDULE, 'optim_wrapper.constructor', ABSENT,
     'MergedGroupsOptimWrapperConstructor'),
    (STUDENT_SCHEDULE, 'optim_wrapper.optimizer.fused', ABSENT, True),
    (STUDENT_SCHEDULE, 'model.data_preprocessor.batch_augments',
     dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]),
     dict(augments=[dict(type='InPlaceMixup', alpha=0.8), dict(type='CutMix', alpha=1.0)])),
    # Issue 9: the teacher's label order is explicit; the published ImageNet-LT / iNat
    # teachers predict the original labels, re-ordered with the datasets' class map file.
    (STUDENT_ORDER_TEACHER, 'model.teacher_label_order', ABSENT, 'student'),
    (STUDENT_ORDER_TEACHER, 'model.teacher_class_map_file', ABSENT, None),
    (ORIGINAL_ORDER_TEACHER, 'model.teacher_label_order', ABSENT, 'original'),
    (('deitlt/deitlt_b_imagenetlt.py', ), 'model.teacher_class_map_file', ABSENT,
     'data/imagenet_lt/class_map.json'),
    (('deitlt/deitlt_b_inat18.py', ), 'model.teacher_class_map_file', ABSENT,
     'data/inat2018/class_map.json'),
    (ORIGINAL_ORDER_TEACHER, 'class_map_file', ABSENT, 'class_map.json'),
    *[(ORIGINAL_ORDER_TEACHER, f'{loader}.dataset.class_map_file', None, 'class_map.json')
      for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
    # The reference's ImageNet-LT / iNat scripts keep Mixup/CutMix under DRW (no
    # --no-mixup-drw, unlike its CIFAR scripts).
    *[((config, ), 'custom_hooks', [dict(type='DRWHook', drw=drw, no_mixup_drw=True)],
       [dict(type='DRWHook', drw=drw, no_mixup_drw=False)])
      for config, drw in (('deitlt/deitlt_b_imagenetlt.py', 1200),
                          ('deitlt/deitlt_b_inat18.py', 900))],
    # Issue 9 part 4: the demo's budgets are iterations on any data (IterBudgetTrainLoop:
    # whole epochs, the last one cut at max_iters), the phases iterations computed from
    # them: on Fashion-MNIST-LT (117 batches an epoch) the same points as the epochs
    # before (the students' budget then cut from 6 to 4 epochs, issue 12). Validation
    # and checkpoint after the last epoch only, whose number follows the data.
    (DEMO_TEACHER, 'max_epochs', 2, ABSENT),
    *[(DEMO_TEACHER, key, ABSENT, value)
      for key, value in (('train_iters', 234), ('warmup_iters', 117), ('drw_iter', 117))],
    (DEMO_TEACHER, 'train_cfg', ANY, dict(type='IterBudgetTrainLoop', max_iters=234)),
    (DEMO_TEACHER, 'param_scheduler', ANY, iteration_schedule(0.1, 0.0, 117)),
    (DEMO_TEACHER, 'custom_hooks', [dict(type='DRWHook', drw=1, no_mixup_drw=False)],
     [dict(type='DRWHook', drw=117, by_epoch=False, no_mixup_drw=False)]),
    # Issue 12: the demo teacher is the CIFAR ResNet at depth 20 (in the student too).
    (DEMO_TEACHER, 'model.backbone.depth', 32, 20),
    (('demo/deitlt_tiny_fmnist_lt.py', ), 'model.teacher.backbone.depth', 32, 20),
    # The student's and the baseline's epoch variables are now the base schedule's,
    # which the budget loop does not read.
    (DEMO_STUDENTS, 'max_epochs', 6, 1200),
    (DEMO_STUDENTS, 'warmup_epochs', 1, 5),
    *[(DEMO_STUDENTS, key, ABSENT, value)
      for key, value in (('train_iters', 468), ('warmup_iters', 78), ('drw_iter', 390))],
    (DEMO_STUDENTS, 'train_cfg', ANY, dict(type='IterBudgetTrainLoop', max_iters=468)),
    (DEMO_STUDENTS, 'param_scheduler', ANY, iteration_schedule(0.01, 1e-5, 78)),
    (('demo/deitlt_tiny_fmnist_lt.py', ), 'custom_hooks',
     [dict(type='DRWHook', drw=5, no_mixup_drw=True)],
     [dict(type='DRWHook', drw=390, by_epoch=False, no_mixup_drw=True)]),
    (('demo/*', ), 'default_hooks.checkpoint.interval', ANY, -1),
    # Issue 12: random erasing moved from the students' uint8 pipeline into their data
    # preprocessor (timm's RandomErasing on the normalised batch, exact to the
    # reference); the teachers' preprocessors name their (unchanged) type.
    *[(('deitlt/*', ), f'{prefix}data_preprocessor.random_erasing', ABSENT, PIXEL_ERASING)
      for prefix in ('', 'model.')],
    (('deitlt/*', ), 'data_preprocessor.type', ABSENT, 'ErasingClsDataPreprocessor'),
    (('deitlt/*', ), 'model.data_preprocessor.type', 'ClsDataPreprocessor',
     'ErasingClsDataPreprocessor'),
    (('teachers/*', ), 'data_preprocessor.type', ABSENT, 'ClsDataPreprocessor'),
    (('deitlt/*', 'teachers/*'), 'train_pipeline', ANY, without_erasing),
    (('deitlt/*', ), 'train_dataloader.dataset.pipeline', ANY, without_erasing),
    (('deitlt/*cifar*', 'deitlt/baselines/*cifar*', 'teachers/resnet32_*'), 'rgb_std', ANY,
     ABSENT),
    (('deitlt/*imagenet*', 'deitlt/*inat*', 'teachers/resnet50_*'), 'bgr_std', ANY, ABSENT),
    # Issue 12: the demo loads data in its training process (faster on its 2 cores).
    *[(('demo/*', ), f'{loader}.num_workers', 2, 0)
      for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
    # cuDNN picks the fastest convolution algorithms for the fixed input sizes.
    (EVERY, 'env_cfg.cudnn_benchmark', False, True),
    # Batches reach the device in one pinned, non-blocking copy: images stacked on the host.
    *[(('deitlt/*', 'teachers/*', 'demo/*'), f'{loader}.collate_fn', ABSENT,
       dict(type='stack_collate'))
      for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
    *[(('deitlt/*', 'teachers/*'), f'{loader}.pin_memory', ABSENT, True)
      for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
    # The frozen ResNet-50 teacher runs channels-last (NHWC), the layout of GPU tensor-core
    # convolutions; same logits up to float rounding.
    (ORIGINAL_ORDER_TEACHER, 'model.teacher_channels_last', ABSENT, True),
]


def effective(cfg: dict) -> dict:
    """What mmengine / mmpretrain make of today's config at build time, where the
    restructured configs leave it to them (mmpretrain's conventions, part 5)."""
    cfg = copy.deepcopy(cfg)
    model = cfg.get('model', {})
    # The dataset config's data_preprocessor: mmengine's Runner hands it to the model
    # (model.setdefault), mmpretrain's ImageClassifier defaults its type.
    if 'data_preprocessor' not in model and 'data_preprocessor' in cfg:
        model['data_preprocessor'] = {'type': 'ClsDataPreprocessor',
                                      **cfg['data_preprocessor']}
    # Mixup/CutMix in model.train_cfg.augments: ImageClassifier sets
    # data_preprocessor.batch_augments = train_cfg.
    if 'augments' in model.get('train_cfg', {}):
        model['data_preprocessor']['batch_augments'] = model.pop('train_cfg')
    # A scheduler without `end` ends at train_cfg.max_epochs (mmengine's Runner); a
    # cosine without T_max spans end - begin (mmengine's CosineAnnealingLR).
    schedulers = cfg.get('param_scheduler', [])
    for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
        if scheduler.get('by_epoch', True) and 'end' not in scheduler:
            scheduler['end'] = cfg['train_cfg']['max_epochs']
            if scheduler['type'] == 'CosineAnnealingLR' and 'T_max' not in scheduler:
                scheduler['T_max'] = scheduler['end'] - scheduler.get('begin', 0)
    return cfg


def _matches(config: str, patterns) -> bool:
    return any(fnmatch.fnmatch(config, pattern) for pattern in patterns)


def _pop(cfg: dict, dotted: str):
    *parents, last = dotted.split('.')
    for part in parents:
        cfg = cfg.get(part, {})
    return cfg.pop(last, ABSENT) if isinstance(cfg, dict) else ABSENT


def apply_changes(config: str, old: dict, new: dict) -> None:
    """Check every CHANGED row that applies to ``config`` and take its key out of both."""
    for patterns, key, old_value, new_value in CHANGED:
        if not _matches(config, patterns):
            continue
        old_found, new_found = _pop(old, key), _pop(new, key)
        if callable(new_value):  # the new value is derived from the old one
            assert old_found is not ABSENT, key
            assert new_found == new_value(old_found), (key, new_found)
            new_value = new_found
        for value, expected in ((old_found, old_value), (new_found, new_value)):
            if expected is ANY:
                assert value is not ABSENT, key
            elif expected is ABSENT:
                assert value is ABSENT, (key, value)
            else:
                assert value == encode(expected), (key, value)


def encode(value):
    """Config values -> JSON, tuples kept apart from lists."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {'__tuple__': [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def resolve(config: str) -> dict:
    """The resolved config ``configs/<config>`` as JSON types, teacher env var unset."""
    saved = os.environ.pop('DEITLT_TEACHER_CKPT', None)
    try:
        return encode(Config.fromfile(str(CONFIG_ROOT / config)).to_dict())
    finally:
        if saved is not None:
            os.environ['DEITLT_TEACHER_CKPT'] = saved


def write_snapshot() -> None:
    """Every config under configs/ as it resolves now."""
    SNAPSHOT.write_text(json.dumps({c: resolve(c) for c in CONFIGS}, indent=1,
                                   sort_keys=True) + '\n')


@pytest.fixture(scope='module')
def snapshot():
    return json.loads(SNAPSHOT.read_text())


def test_every_snapshot_config_still_exists(snapshot):
    # Configs added after the snapshot have no earlier values to keep; none may vanish.
    assert set(snapshot) <= set(CONFIGS)


@pytest.mark.parametrize('config', SNAPSHOT_CONFIGS)
def test_resolved_config_equals_snapshot(config, snapshot):
    old, new = effective(snapshot[config]), effective(resolve(config))
    apply_changes(config, old, new)
    assert new == old


if __name__ == '__main__':
    write_snapshot()
