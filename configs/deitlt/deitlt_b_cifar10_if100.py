# DeiT-LT on CIFAR-10-LT, imbalance factor 100; the paper's numbers are in
# ./metafile.yml. Reference batch: 128 per GPU x 2 GPUs x 4 accumulation steps = 1024
# images, so auto_scale_lr gives lr 5e-4 x 1024 / 512 = 1e-3 on 2 GPUs:
#   DEITLT_TEACHER_CKPT=TEACHER.pth bash tools/dist_train.sh \
#       configs/deitlt/deitlt_b_cifar10_if100.py 2
# The teacher file is a ResNet32 trained on the same LT set (the paper's PaCo + SAM
# file loads as is, or one from configs/teachers/); --cfg-options
# model.teacher_checkpoint=PATH also sets it. A missing file stops the run when the
# model is built, before any data is read. CIFAR-LT labels are in frequency order
# already, so every CIFAR teacher predicts in the student's order (the default
# teacher_label_order='student', no class map).
_base_ = [
    '../_base_/models/deitlt_base_resnet32_teacher.py',
    '../_base_/datasets/cifar10_lt.py',
    '../_base_/schedules/deitlt_adamw_cosine.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(
    head=dict(num_classes=10),
    teacher=dict(head=dict(num_classes=10)),
    teacher_checkpoint='{{$DEITLT_TEACHER_CKPT:checkpoints/teachers/resnet32_cifar10_if100.pth}}',  # noqa: E501
)

# Class-balanced distillation weights (DRW) and no Mixup/CutMix from epoch 1100 on.
custom_hooks = [dict(type='DRWHook', drw=1100, no_mixup_drw=True)]

# The paper reports the best epoch: keep its checkpoint (by AVG top-1, a tie keeps the
# earlier epoch) and log its numbers (BEST NUMBERS: CLS / DIST / AVG, head / mid / tail).
default_hooks = dict(
    checkpoint=dict(save_best='long_tail/avg/top1', rule='greater'),
    best_numbers=dict(type='BestNumbersHook', key='long_tail/avg/top1'))
