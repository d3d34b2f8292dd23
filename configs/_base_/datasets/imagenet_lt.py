# ImageNet-LT: the list-file set-up of ./list_file_lt.py on the list files in data_root
# (Imagenet_LT_{train,test}.txt as the DeiT-LT code ships them, or OLTR's
# ImageNet_LT_*.txt; docs/data.md), 1000 classes, evaluated on the 50,000-image test list
# as in the paper.
_base_ = ['./list_file_lt.py']

dataset_type = 'ImageNetLT'
data_root = 'data/imagenet_lt'
num_classes = 1000

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, split='test'))
test_dataloader = val_dataloader

# Paper split by frequency index: head 0-389, mid 390-834, tail 835-999.
val_evaluator = dict(cut_points=[390, 835])
test_evaluator = val_evaluator
