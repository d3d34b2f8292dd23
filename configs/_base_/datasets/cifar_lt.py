# CIFAR-LT family (CIFAR-10-LT, CIFAR-100-LT): the loaders (exp, IF100 training set; the
# long-tail rule applies to the training split, evaluation uses the whole test set), the
# DeiT-LT student's 224 px pipelines and data preprocessor, the evaluator, and the 32 px
# teacher pipelines (./pipelines/resnet_cifar.py). The dataset itself, its classes and its
# head/mid/tail cut are in ./cifar10_lt.py and ./cifar100_lt.py; a leaf on another
# imbalance factor sets train_dataloader.dataset.imb_factor.
_base_ = ['./pipelines/resnet_cifar.py']

# ImageNet mean / std (timm defaults, as the reference). CIFAR arrays are RGB already.
# Random erasing (the reference's re_prob 0.25, re_mode 'pixel', re_count 1) runs
# in the data preprocessor: timm's RandomErasing on each normalised image, as the
# reference's transform does, before Mixup / CutMix; training batches only.
data_preprocessor = dict(
    type='ErasingClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=False,
    random_erasing=dict(probability=0.25, mode='pixel', max_count=1))
rgb_mean = data_preprocessor['mean']

# DeiT train transform (timm create_transform with rand-m9-mstd0.5-inc1; its
# erasing is in data_preprocessor). timm skips colour jitter whenever auto-augment
# is on, so the reference's ColorJitter 0.3 is not applied and has no transform here.
train_pipeline = [
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[round(x) for x in rgb_mean], interpolation='bicubic')),
    dict(type='PackInputs'),
]

# Resize the short edge to 224 / 0.875 = 256, centre crop 224.
test_pipeline = [
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow',
         interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

# stack_collate stacks a batch's images into one tensor on the host (pinned on GPU
# machines): one non-blocking copy to the device per batch instead of one per image.
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        split='train',
        imb_type='exp',
        imb_factor=0.01,
        pipeline=train_pipeline),
    collate_fn=dict(type='stack_collate'),
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(split='test', pipeline=test_pipeline),
    collate_fn=dict(type='stack_collate'),
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LongTailAccuracy', split='index')

test_dataloader = val_dataloader
test_evaluator = val_evaluator
