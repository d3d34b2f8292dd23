# ResNet50 teacher, PaCo + SAM (rho 0.05) on iNaturalist-2018: PaCo's R50 recipe, lr 0.02
# for 128 images per step in all (4 GPUs x 32), wd 1e-4.
_base_ = [
    '../_base_/models/resnet50_paco.py',
    '../_base_/datasets/inat18_paco.py',
    '../_base_/schedules/teacher_imagenet_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
