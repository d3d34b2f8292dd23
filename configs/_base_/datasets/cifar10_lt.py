# CIFAR-10-LT: the CIFAR-LT set-up of ./cifar_lt.py on the `cifar-10-batches-py/` pickles,
# 10 classes, the paper's head/mid/tail cut.
_base_ = ['./cifar_lt.py']

dataset_type = 'CIFAR10LT'
data_root = 'data/cifar10'  # holds cifar-10-batches-py/
num_classes = 10

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader

# Paper split: head 0-2, mid 3-6, tail 7-9.
val_evaluator = dict(cut_points=[3, 7])
test_evaluator = val_evaluator
