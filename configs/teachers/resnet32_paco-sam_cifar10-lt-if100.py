# ResNet32 teacher, PaCo + SAM (rho 0.05) on CIFAR-10-LT IF100: PaCo's CIFAR recipe
# (DeiT-LT trains its CIFAR-10 teachers with the CIFAR-100 arguments).
_base_ = [
    '../_base_/models/resnet32_cifar_paco.py',
    '../_base_/datasets/cifar10_lt_paco.py',
    '../_base_/schedules/teacher_cifar_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=10))
