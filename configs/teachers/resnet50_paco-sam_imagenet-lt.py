# ResNet50 teacher, PaCo + SAM (rho 0.05) on ImageNet-LT: PaCo's R50 recipe, lr 0.02 for
# 128 images per step in all (4 GPUs x 32), wd 5e-4.
_base_ = [
    '../_base_/models/resnet50_paco.py',
    '../_base_/datasets/imagenet_lt_paco.py',
    '../_base_/schedules/teacher_imagenet_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=1000))
