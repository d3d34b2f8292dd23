# CIFAR-100-LT for the ResNet32 PaCo teachers: PaCo's two-view pipeline
# (./pipelines/paco_cifar.py), batch 128 with drop_last (the queue length must be a
# multiple of the global batch), CIFAR normalisation; test at 32 px.
_base_ = ['./cifar100_lt.py', './pipelines/paco_cifar.py']

# Each of the two views is normalised like a single image.
data_preprocessor = dict(
    _delete_=True, type='MultiViewClsDataPreprocessor', num_classes=100,
    mean=[125.307, 122.961, 113.8575], std=[51.5865, 50.847, 51.255], to_rgb=False)

train_dataloader = dict(
    drop_last=True, dataset=dict(pipeline={{_base_.paco_cifar_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.teacher_test_pipeline}}))
test_dataloader = val_dataloader
