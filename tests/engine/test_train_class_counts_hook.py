"""TrainClassCountsHook: training counts reach the metrics, through checkpoints too."""
from pathlib import Path
from types import SimpleNamespace

import torch
from mmengine.config import Config

from deitlt_mm.datasets import RandomImageDataset
from deitlt_mm.registry import HOOKS, METRICS

COUNTS = [9, 4, 2]


def _runner(dataset=None):
    metric = METRICS.build(dict(type='LongTailAccuracy', split='shot', many_shot_thr=5,
                                few_shot_thr=3))
    evaluator = SimpleNamespace(metrics=[metric, SimpleNamespace()])  # + a metric without it
    return SimpleNamespace(train_dataloader=SimpleNamespace(dataset=dataset),
                           val_evaluator=evaluator, test_evaluator=evaluator), metric


def _groups(metric):
    metric.process(None, [dict(gt_label=torch.tensor([c]), pred_score=torch.eye(3)[c])
                          for c in range(3)])
    metric.evaluate(3)
    return metric.long_tail_results.class_groups


def test_counts_of_the_training_set_reach_val_metrics_and_the_checkpoint():
    hook = HOOKS.build(dict(type='TrainClassCountsHook'))
    runner, metric = _runner(RandomImageDataset(class_counts=COUNTS, img_size=4))
    hook.before_train(runner)
    hook.before_val(runner)
    assert _groups(metric) == ['head', 'mid', 'tail']
    checkpoint = dict(meta=dict(epoch=1))
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint['meta'] == dict(epoch=1, train_class_counts=COUNTS)


def test_a_test_run_takes_the_counts_from_the_checkpoint():
    hook = HOOKS.build(dict(type='TrainClassCountsHook'))
    runner, metric = _runner()  # no training set is built in a test run
    hook.after_load_checkpoint(runner, dict(meta=dict(train_class_counts=COUNTS)))
    hook.before_test(runner)
    assert _groups(metric) == ['head', 'mid', 'tail']
    assert metric.long_tail_results.train_class_counts == COUNTS

    unknown = HOOKS.build(dict(type='TrainClassCountsHook'))
    runner, metric = _runner()
    unknown.after_load_checkpoint(runner, dict(state_dict={}))  # e.g. a converted file
    unknown.before_test(runner)
    assert metric.train_class_counts is None


def test_default_hooks_register_it():
    cfg = Config.fromfile(str(Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
                              'deitlt_default_hooks.py'))
    assert cfg.default_hooks.train_class_counts == dict(type='TrainClassCountsHook')
