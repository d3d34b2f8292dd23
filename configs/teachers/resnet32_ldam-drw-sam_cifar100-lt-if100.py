# ResNet32 teacher, LDAM-DRW + SAM (rho 0.8) on CIFAR-100-LT IF100.
_base_ = [
    '../_base_/models/resnet32_cifar_ldam_drw.py',
    '../_base_/datasets/cifar100_lt_teacher.py',
    '../_base_/schedules/teacher_cifar_sam_200e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=100))
optim_wrapper = dict(rho=0.8)
