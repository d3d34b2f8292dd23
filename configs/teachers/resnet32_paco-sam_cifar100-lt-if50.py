# ResNet32 teacher, PaCo + SAM (rho 0.05) on CIFAR-100-LT IF50.
_base_ = [
    '../_base_/models/resnet32_cifar_paco.py',
    '../_base_/datasets/cifar100_lt_paco.py',
    '../_base_/schedules/teacher_cifar_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

model = dict(head=dict(num_classes=100))

# Imbalance factor 50 (exp profile): the rarest class keeps 1/50 of the largest one's images.
train_dataloader = dict(dataset=dict(imb_factor=0.02))
