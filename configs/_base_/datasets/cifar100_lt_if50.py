# CIFAR-100-LT with imbalance factor 50 (exp): the IF100 set-up of ./cifar100_lt.py on
# the IF50 training set; the test set is the same.
_base_ = ['./cifar100_lt.py']

train_dataloader = dict(dataset=dict(imb_factor=0.02))
