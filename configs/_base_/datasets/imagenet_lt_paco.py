# ImageNet-LT for the ResNet50 PaCo teacher: PaCo's two-view pipeline
# (./pipelines/paco_imagenet.py), 32 images per GPU (PaCo: 4 GPUs, 128 in all) with
# drop_last (the queue length must be a multiple of the global batch); the test pipeline
# is the student's (short edge 256, centre crop 224).
_base_ = ['./imagenet_lt.py', './pipelines/paco_imagenet.py']

# Each of the two views is normalised like a single image.
data_preprocessor = dict(
    _delete_=True, type='MultiViewClsDataPreprocessor', num_classes=1000,
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_dataloader = dict(
    batch_size=32, drop_last=True,
    dataset=dict(pipeline={{_base_.paco_imagenet_train_pipeline}}))
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
