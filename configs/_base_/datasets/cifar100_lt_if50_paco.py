# CIFAR-100-LT IF50 for the ResNet32 PaCo teacher: ./cifar100_lt_paco.py on the IF50
# training set.
_base_ = ['./cifar100_lt_paco.py']

train_dataloader = dict(dataset=dict(imb_factor=0.02))
