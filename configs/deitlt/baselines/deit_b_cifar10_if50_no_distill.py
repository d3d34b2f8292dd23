# Baseline: DeiT-B without distillation (the DeiT-LT student's backbone without its
# DIST token, a linear head on CLS) on CIFAR-10-LT, imbalance factor 50, with the
# schedule, batch and augmentation of ../deitlt_b_cifar10_if50.py and no DRW (no
# teacher, nothing to re-weight).
_base_ = [
    '../../_base_/models/deit_base_patch16_224_no_distill.py',
    '../../_base_/datasets/cifar10_lt.py',
    '../../_base_/schedules/deitlt_adamw_cosine.py',
    '../../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=10))

# Imbalance factor 50 (exp profile): the rarest class keeps 1/50 of the largest one's images.
train_dataloader = dict(dataset=dict(imb_factor=0.02))
