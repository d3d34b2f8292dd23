# ResNet50 teacher, LDAM-DRW + SAM (rho steps) on iNaturalist-2018, lr 0.1.
# Trained on the frequency-ordered labels of the datasets (like the student), so as
# a DeiT-LT teacher it needs no class map: model.teacher_label_order='student'.
_base_ = [
    '../_base_/models/resnet50_ldam_drw.py',
    '../_base_/datasets/inat18_teacher.py',
    '../_base_/schedules/teacher_imagenet_sam_90e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(lr=0.1))
