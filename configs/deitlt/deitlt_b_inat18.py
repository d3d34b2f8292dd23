# DeiT-LT on iNaturalist-2018; the paper's numbers are in ./metafile.yml.
# Reference batch: 128 per GPU x 4 GPUs x 4 accumulation steps = 2048 images, so
# auto_scale_lr gives lr 5e-4 x 2048 / 512 = 2e-3 on 4 GPUs:
#   DEITLT_TEACHER_CKPT=TEACHER.pth bash tools/dist_train.sh \
#       configs/deitlt/deitlt_b_inat18.py 4
# The teacher file is a ResNet50 trained on iNaturalist-2018; --cfg-options
# model.teacher_checkpoint=PATH also sets it. A missing file stops the run when the
# model is built.
#
# Teacher label order. The paper's PaCo + SAM teacher predicts the dataset's
# *original* labels, the student learns them re-indexed by training frequency
# (the reference's --map-targets). teacher_label_order='original' re-orders the
# teacher's classifier rows once, when it is loaded, with the dataset's class map
# file, which both datasets load too (data/inat2018/class_map.json). The model is
# built before the datasets, so write that file once before the first run:
#   python tools/data/save_class_map.py configs/deitlt/deitlt_b_inat18.py
# A teacher trained with configs/teachers/ (on the frequency-ordered labels) needs no
# map: --cfg-options model.teacher_label_order=student model.teacher_class_map_file=None
# With another data_root, point the datasets and model.teacher_class_map_file at the
# same file (tools/train.py refuses two different maps).
_base_ = [
    '../_base_/models/deitlt_base_resnet50_teacher.py',
    '../_base_/datasets/inat18.py',
    '../_base_/schedules/deitlt_adamw_cosine_bs2048.py',
    '../_base_/deitlt_default_hooks.py',
]

# The class map file, relative to data_root like the list files (data_root as in
# the dataset base).
data_root = 'data/inat2018'
class_map_file = 'class_map.json'
train_dataloader = dict(dataset=dict(class_map_file=class_map_file))
val_dataloader = dict(dataset=dict(class_map_file=class_map_file))
test_dataloader = val_dataloader

model = dict(
    head=dict(num_classes=8142),
    teacher=dict(head=dict(num_classes=8142)),
    teacher_checkpoint='{{$DEITLT_TEACHER_CKPT:checkpoints/teachers/resnet50_inat18.pth}}',  # noqa: E501
    teacher_label_order='original',
    teacher_class_map_file=f'{data_root}/{class_map_file}',
)

# 1000 epochs: the cosine phase of the schedule ends there.
max_epochs = 1000
train_cfg = dict(max_epochs=max_epochs)

# Class-balanced distillation weights (DRW) from epoch 900 on. Mixup/CutMix stay on under
# DRW: the reference's sh/train_inat.sh does not pass --no-mixup-drw (its CIFAR scripts
# do).
custom_hooks = [dict(type='DRWHook', drw=900, no_mixup_drw=False)]

# The paper reports the best epoch: keep its checkpoint (by AVG top-1, a tie keeps the
# earlier epoch) and log its numbers (BEST NUMBERS: CLS / DIST / AVG, head / mid / tail).
default_hooks = dict(
    checkpoint=dict(save_best='long_tail/avg/top1', rule='greater'),
    best_numbers=dict(type='BestNumbersHook', key='long_tail/avg/top1'))
