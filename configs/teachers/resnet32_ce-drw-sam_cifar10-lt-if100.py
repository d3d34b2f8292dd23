# ResNet32 teacher, CE-DRW + SAM (rho 0.5) on CIFAR-10-LT IF100.
_base_ = [
    '../_base_/models/resnet32_cifar_ce_drw.py',
    '../_base_/datasets/cifar10_lt_teacher.py',
    '../_base_/schedules/teacher_cifar_sam_200e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=10))
optim_wrapper = dict(rho=0.5)
