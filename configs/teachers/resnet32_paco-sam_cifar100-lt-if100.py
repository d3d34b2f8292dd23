# ResNet32 teacher, PaCo + SAM (rho 0.05) on CIFAR-100-LT IF100: PaCo's CIFAR-100 recipe.
_base_ = [
    '../_base_/models/resnet32_cifar_paco.py',
    '../_base_/datasets/cifar100_lt_paco.py',
    '../_base_/schedules/teacher_cifar_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=100))
