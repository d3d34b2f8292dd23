# ResNet32 teacher, CE-DRW + SAM (rho 0.5) on CIFAR-10-LT IF50.
_base_ = ['./resnet32_ce-drw-sam_cifar10-lt-if100.py']

train_dataloader = dict(dataset=dict(imb_factor=0.02))
