"""Tiny Runner configs shared by the foundation tests (in-memory data, CPU)."""
import copy
from pathlib import Path


def tiny_classifier_cfg(work_dir, max_iters=2, val_interval=2, ckpt_interval=2):
    """A 4-class ResNet_CIFAR-8ch classifier, iteration-based, validating + checkpointing."""
    pipeline = [dict(type='PackInputs')]
    loader = dict(batch_size=4, num_workers=0, persistent_workers=False)
    cfg = dict(
        default_scope='deitlt_mm',
        work_dir=str(work_dir),
        model=dict(
            type='ImageClassifier',
            data_preprocessor=dict(num_classes=4, mean=[127.5] * 3, std=[64.0] * 3),
            backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=4, in_channels=64,
                      loss=dict(type='CrossEntropyLoss'))),
        train_dataloader=dict(
            **loader, sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='RandomImageDataset', class_counts=[12, 6, 4, 2], img_size=16,
                         pipeline=pipeline)),
        val_dataloader=dict(
            **loader, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='RandomImageDataset', class_counts=[2, 2, 2, 2], img_size=16,
                         seed=1, pipeline=pipeline)),
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        val_cfg=dict(),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=val_interval),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0,
                             end=8),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=ckpt_interval, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        log_level='WARNING',
        randomness=dict(seed=0),
    )
    return copy.deepcopy(cfg)


SMOKE_STUDENT_CONFIG = (Path(__file__).resolve().parents[1] / 'configs' / 'smoke' /
                        'deitlt_b_resnet32_random_lt.py')
# --cfg-options that shrink the smoke student's pipelines from 224 to 32 px.
TINY_PIPELINE_OPTIONS = ['train_dataloader.dataset.pipeline.0.scale=32',
                         'val_dataloader.dataset.pipeline.0.scale=32',
                         'val_dataloader.dataset.pipeline.1.crop_size=32']


def write_tiny_smoke_student(path, checkpoints=False):
    """``configs/smoke/deitlt_b_resnet32_random_lt.py`` with a 32-d one-block student at
    32 px, batches of 4 and a few images, as a config file at ``path`` (the pipelines
    stay at 224 px unless ``TINY_PIPELINE_OPTIONS`` are passed too)."""
    text = f'''_base_ = [{str(SMOKE_STUDENT_CONFIG)!r}]
model = dict(backbone=dict(arch=dict(_delete_=True, embed_dims=32, num_layers=1, num_heads=2),
                           img_size=32, patch_size=8),
             head=dict(in_channels=32))
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(class_counts=[8, 4, 2, 1] + [1] * 96))
val_dataloader = dict(batch_size=50, num_workers=0, persistent_workers=False,
                      dataset=dict(class_counts=[1] * 100))
test_dataloader = val_dataloader
'''
    if checkpoints:
        text += ('default_hooks = dict(checkpoint=dict(\n'
                 "    _delete_=True, type='CheckpointHook', interval=2, by_epoch=False))\n")
    Path(path).write_text(text)
    return Path(path)
