# Fashion-MNIST-LT (exp, IF100) for a small 32 px student, fully offline:
# `apt-get install dataset-fashion-mnist` provides the IDX files in data_root.
dataset_type = 'FashionMNISTLT'
data_root = '/usr/share/datasets/fashion-mnist'
num_classes = 10

# Fashion-MNIST pixel mean / std (0.2860, 0.3530 of 255) on all three channels.
data_preprocessor = dict(
    num_classes=num_classes,
    mean=[72.94, 72.94, 72.94],
    std=[90.02, 90.02, 90.02],
    to_rgb=False)

# Grey 28x28 -> 3-channel 32x32 (patch 4 -> 8x8 tokens).
train_pipeline = [
    dict(type='GrayToRGB'),
    dict(type='Resize', scale=(32, 32), backend='pillow', interpolation='bicubic'),
    dict(type='RandomCrop', crop_size=32, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='GrayToRGB'),
    dict(type='Resize', scale=(32, 32), backend='pillow', interpolation='bicubic'),
    dict(type='PackInputs'),
]

# Loaded in the training process (num_workers=0): on the 2 CPU cores the demo is sized
# for, loader workers only compete with the 2 compute threads and add inter-process
# copies (student stage 0.36-0.42 s/iteration without workers, 0.43-0.55 with 2;
# testing the teacher 23 s against 29 s, 2026-11-29). Raise it on machines with cores
# to spare.
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        imb_type='exp',
        imb_factor=0.01,
        pipeline=train_pipeline),
    collate_fn=dict(type='stack_collate'),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    dataset=dict(
        type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    collate_fn=dict(type='stack_collate'),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# Same 10-class cut as CIFAR-10-LT: head 0-2, mid 3-6, tail 7-9.
val_evaluator = dict(type='LongTailAccuracy', split='index', cut_points=[3, 7])

test_dataloader = val_dataloader
test_evaluator = val_evaluator
