# DeiT-LT on iNaturalist-2018; the paper's numbers are in ./metafile.yml.
# Reference batch: 128 per GPU x 4 GPUs x 4 accumulation steps = 2048 images, so
# auto_scale_lr gives lr 5e-4 x 2048 / 512 = 2e-3 on 4 GPUs:
#   DEITLT_TEACHER_CKPT=TEACHER.pth bash tools/dist_train.sh \
#       configs/deitlt/deitlt_b_inat18.py 4
# The teacher file is a ResNet50 trained on iNaturalist-2018 (the paper's PaCo + SAM
# file, or configs/teachers/resnet50_ldam-drw-sam_inat18.py);
# --cfg-options model.teacher_checkpoint=PATH also sets it. A missing file stops
# the run when the model is built.
_base_ = [
    '../_base_/models/deitlt_base_resnet50_teacher.py',
    '../_base_/datasets/inat18.py',
    '../_base_/schedules/deitlt_adamw_cosine_bs2048.py',
    '../_base_/default_runtime.py',
]

model = dict(
    head=dict(num_classes=8142),
    teacher=dict(head=dict(num_classes=8142)),
    teacher_checkpoint='{{$DEITLT_TEACHER_CKPT:checkpoints/teachers/resnet50_inat18.pth}}',  # noqa: E501
)

# 1000 epochs: the cosine phase of the schedule ends there.
max_epochs = 1000
train_cfg = dict(max_epochs=max_epochs)

# Class-balanced distillation weights (DRW) and no Mixup/CutMix from epoch 900 on.
custom_hooks = [dict(type='DRWHook', drw=900, no_mixup_drw=True)]
