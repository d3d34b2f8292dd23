# DeiT-LT on CIFAR-100-LT, imbalance factor 50; the paper's numbers are in
# ./metafile.yml. Batch, lr and teacher file as in ./deitlt_b_cifar100_if100.py, with
# the IF50 training set and its teacher.
_base_ = [
    '../_base_/models/deitlt_base_resnet32_teacher.py',
    '../_base_/datasets/cifar100_lt.py',
    '../_base_/schedules/deitlt_adamw_cosine.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(
    head=dict(num_classes=100),
    teacher=dict(head=dict(num_classes=100)),
    teacher_checkpoint='{{$DEITLT_TEACHER_CKPT:checkpoints/teachers/resnet32_cifar100_if50.pth}}',  # noqa: E501
)

# Class-balanced distillation weights (DRW) and no Mixup/CutMix from epoch 1100 on.
custom_hooks = [dict(type='DRWHook', drw=1100, no_mixup_drw=True)]

# Imbalance factor 50 (exp profile): the rarest class keeps 1/50 of the largest one's images.
train_dataloader = dict(dataset=dict(imb_factor=0.02))
# The paper reports the best epoch: keep its checkpoint (by AVG top-1, a tie keeps the
# earlier epoch) and log its numbers (BEST NUMBERS: CLS / DIST / AVG, head / mid / tail).
default_hooks = dict(
    checkpoint=dict(save_best='long_tail/avg/top1', rule='greater'),
    best_numbers=dict(type='BestNumbersHook', key='long_tail/avg/top1'))
