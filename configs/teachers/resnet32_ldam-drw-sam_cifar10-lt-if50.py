# ResNet32 teacher, LDAM-DRW + SAM (rho 0.8) on CIFAR-10-LT IF50.
_base_ = ['./resnet32_ldam-drw-sam_cifar10-lt-if100.py']

train_dataloader = dict(dataset=dict(imb_factor=0.02))
