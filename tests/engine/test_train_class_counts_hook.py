"""TrainClassCountsHook: the training counts reach the losses before the first step, the
metrics, and checkpoints (which a test run reads them from)."""
from pathlib import Path
from types import SimpleNamespace

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from deitlt_mm.datasets import RandomImageDataset
from deitlt_mm.registry import HOOKS, METRICS, MODELS

DEFAULT_HOOKS = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / \
    'deitlt_default_hooks.py'
COUNTS = [9, 4, 2]


def _runner(dataset=None, model=None):
    metric = METRICS.build(dict(type='LongTailAccuracy', split='shot', many_shot_thr=5,
                                few_shot_thr=3))
    evaluator = SimpleNamespace(metrics=[metric, SimpleNamespace()])  # + a metric without it
    return SimpleNamespace(train_dataloader=SimpleNamespace(dataset=dataset), model=model,
                           logger=MMLogger.get_current_instance(),
                           val_evaluator=evaluator, test_evaluator=evaluator), metric


def _groups(metric):
    metric.process(None, [dict(gt_label=torch.tensor([c]), pred_score=torch.eye(3)[c])
                          for c in range(3)])
    metric.evaluate(3)
    return metric.long_tail_results.class_groups


def test_counts_of_the_training_set_reach_losses_val_metrics_and_the_checkpoint():
    hook = HOOKS.build(dict(type='TrainClassCountsHook'))
    model = torch.nn.Sequential(MODELS.build(dict(type='LDAMLoss')),
                                MODELS.build(dict(type='PaCoLoss', alpha=0.01)))
    runner, metric = _runner(RandomImageDataset(class_counts=COUNTS, img_size=4), model)
    hook.before_train(runner)
    assert model[0].class_counts.tolist() == COUNTS
    torch.testing.assert_close(model[1].class_prior,
                               torch.tensor(COUNTS, dtype=torch.float64) / sum(COUNTS))
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


def _run_config(work_dir, name):
    """The default hooks' config (no custom hooks, so no DRWHook) with an LDAM-loss
    ResNet8 on 15 random 8x8 images of ``COUNTS``."""
    cfg = Config.fromfile(str(DEFAULT_HOOKS))
    loader = dict(batch_size=5, num_workers=0, sampler=dict(type='DefaultSampler',
                                                             shuffle=True))
    cfg.merge_from_dict(dict(
        work_dir=str(work_dir), experiment_name=name, log_level='WARNING',
        model=dict(type='ImageClassifier',
                   backbone=dict(type='ResNetCifarOptionA', depth=8),
                   neck=dict(type='GlobalAveragePooling'),
                   head=dict(type='LinearClsHead', num_classes=len(COUNTS), in_channels=64,
                             loss=dict(type='LDAMLoss')),
                   data_preprocessor=dict(type='ClsDataPreprocessor',
                                          num_classes=len(COUNTS))),
        train_dataloader=dict(**loader, dataset=dict(
            type='RandomImageDataset', class_counts=COUNTS, img_size=8,
            pipeline=[dict(type='PackInputs')])),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        test_dataloader=dict(**loader, dataset=dict(
            type='RandomImageDataset', class_counts=[2] * len(COUNTS), img_size=8, seed=1,
            pipeline=[dict(type='PackInputs')])),
        test_evaluator=dict(type='LongTailAccuracy', split='shot', many_shot_thr=5,
                            few_shot_thr=3),
        test_cfg=dict()))
    return cfg


def test_a_run_hands_counts_to_the_loss_before_the_first_step_and_to_a_test_run(tmp_path):
    """Through mmengine's Runner, the default hooks alone: LDAM's margins need the counts
    at the first forward; the test run of the checkpoint groups by them."""
    cfg = _run_config(tmp_path, 'train')
    assert 'custom_hooks' not in cfg
    runner = Runner.from_cfg(cfg)
    seen = []
    runner.model.head.loss_module.register_forward_pre_hook(
        lambda module, args: seen.append(module.class_counts.tolist()))
    runner.train()
    assert seen == [COUNTS] * 3

    test_cfg = _run_config(tmp_path, 'test')
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper'):
        test_cfg.pop(key)
    test_cfg.load_from = str(tmp_path / 'epoch_1.pth')
    tester = Runner.from_cfg(test_cfg)
    tester.test()
    results = tester.test_evaluator.metrics[0].long_tail_results
    assert results.train_class_counts == COUNTS
    assert results.class_groups == ['head', 'mid', 'tail']
