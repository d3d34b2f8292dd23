# CIFAR-100-LT at 32 px for the ResNet32 teachers (CE-DRW, LDAM-DRW): the 32 px pipelines of
# ./pipelines/resnet_cifar.py, batch 128, CIFAR normalisation.
_base_ = ['./cifar100_lt.py']

# The teachers' recipe has no random erasing: a plain ClsDataPreprocessor.
data_preprocessor = dict(
    _delete_=True, type='ClsDataPreprocessor', num_classes=100,
    mean=[125.307, 122.961, 113.8575], std=[51.5865, 50.847, 51.255], to_rgb=False)

train_dataloader = dict(dataset=dict(pipeline={{_base_.teacher_train_pipeline}}))
val_dataloader = dict(dataset=dict(pipeline={{_base_.teacher_test_pipeline}}))
test_dataloader = val_dataloader
