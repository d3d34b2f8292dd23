# ResNet32 teacher, PaCo + SAM (rho 0.05) on CIFAR-10-LT IF50.
_base_ = ['./resnet32_paco-sam_cifar10-lt-if100.py']

# The IF50 training set; the test set is the same balanced one.
train_dataloader = dict(dataset=dict(imb_factor=0.02))
