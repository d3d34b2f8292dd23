# Throughput / plumbing config of tools/benchmark/gpu_check.sh: the paper's CIFAR student
# (DeiT-B/16 at 224 px distilled from a ResNet32 at 32 px, Mixup/CutMix, the student
# schedule's fused AdamW) on seeded random 32x32 images with CIFAR-100-LT's class profile,
# through the CIFAR train pipeline. Nothing to download: the teacher has random weights
# and the images are made in memory. Iteration-based (20 iterations, then one validation),
# no checkpoints: it measures speed, not accuracy.
_base_ = [
    '../_base_/models/deitlt_base_resnet32_teacher.py',
    '../_base_/datasets/cifar100_lt.py',
    '../_base_/schedules/deitlt_adamw_cosine.py',
    '../_base_/deitlt_default_hooks.py',
]

num_classes = 100
# CIFAR-100-LT IF100: 500 ... 5 images per class, 10,847 in all.
class_counts = [int(500 * 0.01**(index / 99)) for index in range(num_classes)]

model = dict(
    head=dict(num_classes=num_classes),
    teacher=dict(head=dict(num_classes=num_classes)),
    teacher_checkpoint=None,
)

train_dataloader = dict(
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(_delete_=True, type='RandomImageDataset', class_counts=class_counts,
                 img_size=32, seed=0, pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='RandomImageDataset', class_counts=[2] * num_classes,
                 img_size=32, seed=1, pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

# One optimizer step per iteration at the paper's per-GPU batch (128), a constant lr.
optim_wrapper = dict(accumulative_counts=1)
auto_scale_lr = dict(enable=False)
param_scheduler = []
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=20, val_interval=20)
default_hooks = dict(logger=dict(interval=5), checkpoint=None)
