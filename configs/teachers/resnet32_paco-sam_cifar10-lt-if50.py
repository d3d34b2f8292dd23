# ResNet32 teacher, PaCo + SAM (rho 0.05) on CIFAR-10-LT IF50.
_base_ = [
    '../_base_/models/resnet32_cifar_paco.py',
    '../_base_/datasets/cifar10_lt_paco.py',
    '../_base_/schedules/teacher_cifar_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=10))

# Imbalance factor 50 (exp profile): the rarest class keeps 1/50 of the largest one's images.
train_dataloader = dict(dataset=dict(imb_factor=0.02))
