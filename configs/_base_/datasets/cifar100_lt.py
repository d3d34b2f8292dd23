# CIFAR-100-LT: the CIFAR-LT set-up of ./cifar_lt.py on the `cifar-100-python/` pickles,
# 100 classes, the paper's head/mid/tail cut.
_base_ = ['./cifar_lt.py']

dataset_type = 'CIFAR100LT'
data_root = 'data/cifar100'  # holds cifar-100-python/
num_classes = 100

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader

# Paper split: head 0-35, mid 36-70, tail 71-99.
val_evaluator = dict(cut_points=[36, 71])
test_evaluator = val_evaluator
