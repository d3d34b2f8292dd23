# ResNet50 teacher, LDAM-DRW + SAM (rho steps) on iNaturalist-2018, lr 0.1.
_base_ = [
    '../_base_/models/resnet50_ldam_drw.py',
    '../_base_/datasets/inat18_teacher.py',
    '../_base_/schedules/teacher_imagenet_sam_90e.py',
    '../_base_/default_runtime.py',
]

model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(lr=0.1))
