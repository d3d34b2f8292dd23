# Smoke-test config: a tiny CIFAR-style ResNet on a seeded, in-memory long-tailed
# set of random-colour images. Trains two short epochs on CPU in seconds and
# proves the install, the registries, training, validation and checkpointing.
_base_ = ['../_base_/deitlt_default_hooks.py']

num_classes = 4
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss')),
)

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[127.5, 127.5, 127.5],
    std=[64.0, 64.0, 64.0],
    to_rgb=False)

train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='RandomImageDataset',
        class_counts=[24, 12, 6, 3],
        img_size=32,
        seed=0,
        pipeline=[dict(type='RandomFlip', prob=0.5), dict(type='PackInputs')]),
)
val_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='RandomImageDataset',
        class_counts=[4, 4, 4, 4],
        img_size=32,
        seed=1,
        pipeline=[dict(type='PackInputs')]),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', T_max=2, by_epoch=True)
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=8, enable=False)

default_hooks = dict(logger=dict(interval=2), checkpoint=dict(interval=1))
