# Baseline: DeiT-B without distillation (the DeiT-LT student's backbone without its
# DIST token, a linear head on CLS) on CIFAR-100-LT, imbalance factor 100, with the
# schedule, batch and augmentation of ../deitlt_b_cifar100_if100.py and no DRW (no
# teacher, nothing to re-weight).
_base_ = [
    '../../_base_/models/deit_base_patch16_224_no_distill.py',
    '../../_base_/datasets/cifar100_lt.py',
    '../../_base_/schedules/deitlt_adamw_cosine.py',
    '../../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=100))
