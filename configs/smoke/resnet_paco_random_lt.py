# Plumbing config of tools/benchmark/gpu_check.sh's 2-GPU part: the CIFAR PaCo + SAM teacher
# recipe (../_base_/models/resnet32_cifar_paco.py, its two views, SAMOptimWrapper) with a
# ResNet8 on seeded random 32x32 images with a long-tailed class profile. Under
# `tools/dist_train.sh CONFIG 2` it runs PaCo's cross-rank gathers (the keys and labels
# entering the queue, the shuffled key-encoder batch norm) and SAM's two passes under
# DDP. Nothing to download; iteration-based (20 iterations, then one validation), no
# checkpoints: it checks that multi-GPU training runs, not accuracy.
_base_ = [
    '../_base_/models/resnet32_cifar_paco.py',
    '../_base_/datasets/pipelines/paco_cifar.py',
    '../_base_/schedules/teacher_cifar_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

num_classes = 10
class_counts = [int(200 * 0.1**(index / (num_classes - 1))) for index in range(num_classes)]

# The queue holds a whole number of global batches on 1, 2 or 4 GPUs (32 images each).
model = dict(backbone=dict(depth=8), head=dict(num_classes=num_classes), queue_size=256)
data_preprocessor = dict(type='MultiViewClsDataPreprocessor', num_classes=num_classes,
                         mean=[127.5, 127.5, 127.5], std=[64.0, 64.0, 64.0], to_rgb=False)

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    drop_last=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='RandomImageDataset', class_counts=class_counts, img_size=32, seed=0,
                 pipeline={{_base_.paco_cifar_train_pipeline}}))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='RandomImageDataset', class_counts=[4] * num_classes, img_size=32,
                 seed=1, pipeline=[dict(type='PackInputs')]))
val_evaluator = dict(type='LongTailAccuracy', split='index', cut_points=[3, 7])
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# A constant lr (the recipe's schedulers count epochs).
param_scheduler = []
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=20, val_interval=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=None)
