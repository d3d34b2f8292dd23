# CIFAR-10-LT (exp, IF100) for the DeiT-LT student at 224 px, plus the 32 px
# pipeline of the ResNet32 teacher (`teacher_train_pipeline`). IF50: cifar10_lt_if50.py.
# The long-tail rule applies to the training split; evaluation uses the whole test set.
dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'  # holds cifar-10-batches-py/
num_classes = 10

# ImageNet mean / std (REFERENCE step 1). CIFAR arrays are RGB already.
# Random erasing (the reference's re_prob 0.25, re_mode 'pixel', re_count 1) runs
# in the data preprocessor: timm's RandomErasing on each normalised image, as the
# reference's transform does, before Mixup / CutMix; training batches only.
data_preprocessor = dict(
    type='ErasingClsDataPreprocessor',
    num_classes=num_classes,
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

# ResNet32 teacher trained on the LT set at 32 px.
teacher_train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
teacher_test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        imb_type='exp',
        imb_factor=0.01,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Paper split: head 0-2, mid 3-6, tail 7-9.
val_evaluator = dict(type='LongTailAccuracy', split='index', cut_points=[3, 7])

test_dataloader = val_dataloader
test_evaluator = val_evaluator
