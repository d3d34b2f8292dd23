# List-file LT family (ImageNet-LT, iNaturalist-2018): images at the paths of a list file
# in data_root, labels re-indexed by training frequency (the reference's numpy-1.24 tie
# order; to pin the published map, save it once with dataset.save_class_map(path) and set
# class_map_file=path in both datasets). Holds the loaders, the DeiT-LT student's 224 px
# pipelines and data preprocessor, and the evaluator; the dataset, its classes, its
# evaluation list and head/mid/tail cut are in ./imagenet_lt.py and ./inat18.py.

# Random erasing (re_prob 0.25, pixel mode, one patch) on each normalised training
# image before Mixup / CutMix, in the data preprocessor as in the reference's transform.
data_preprocessor = dict(
    type='ErasingClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,  # images are loaded BGR
    random_erasing=dict(probability=0.25, mode='pixel', max_count=1))
bgr_mean = data_preprocessor['mean'][::-1]

# DeiT train transform (its erasing is in data_preprocessor); timm skips colour
# jitter when auto-augment is on, so the reference's ColorJitter 0.3 has no transform.
train_pipeline = [
    dict(type='LoadImageWithCheck'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[round(x) for x in bgr_mean], interpolation='bicubic')),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageWithCheck'),
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
        class_map_file=None,
        pipeline=train_pipeline),
    collate_fn=dict(type='stack_collate'),
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    dataset=dict(
        class_map_file=None,
        pipeline=test_pipeline),
    collate_fn=dict(type='stack_collate'),
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='LongTailAccuracy', split='index')

test_dataloader = val_dataloader
test_evaluator = val_evaluator
