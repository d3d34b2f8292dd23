# ResNet32 teacher, PaCo + SAM (rho 0.05) on CIFAR-10-LT IF50.
_base_ = ['./resnet32_paco-sam_cifar10-lt-if100.py']

train_dataloader = dict(dataset=dict(imb_factor=0.02))
val_dataloader = dict(dataset=dict(imb_factor=0.02))
test_dataloader = val_dataloader
