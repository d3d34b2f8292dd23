# Baseline: the DeiT-LT student of ../deitlt_b_cifar100_if50.py with its DIST token
# trained on the labels instead of a teacher (distillation_type='none'); DRW
# (class-balanced DIST loss) and no Mixup after DRW as in DeiT-LT.
_base_ = ['../deitlt_b_cifar100_if50.py']

model = dict(
    head=dict(loss=dict(distillation_type='none')),
    teacher=None,
    teacher_checkpoint=None,
    teacher_size=None,
)
