# iNaturalist-2018: the list-file set-up of ./list_file_lt.py on the list files
# iNaturalist18_{train,val}.txt in data_root, 8142 classes, evaluated on the validation list.
_base_ = ['./list_file_lt.py']

dataset_type = 'INaturalist2018'
data_root = 'data/inat2018'
num_classes = 8142

data_preprocessor = dict(num_classes=num_classes)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, split='val'))
test_dataloader = val_dataloader

# Paper split by frequency index: head 0-841, mid 842-4542, tail 4543-8141.
val_evaluator = dict(cut_points=[842, 4543])
test_evaluator = val_evaluator
