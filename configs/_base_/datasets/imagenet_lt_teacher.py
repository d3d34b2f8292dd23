# ImageNet-LT at 224 px for the ResNet50 teacher: random resized crop + flip (no
# RandAugment / erasing, the usual ResNet recipe), batch 256; the test pipeline
# is the student's (short edge 256, centre crop 224).
_base_ = ['./imagenet_lt.py']

teacher_train_pipeline = [
    dict(type='LoadImageWithCheck'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# The teachers' recipe has no random erasing: a plain ClsDataPreprocessor.
data_preprocessor = dict(
    _delete_=True, type='ClsDataPreprocessor', num_classes=1000,
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_dataloader = dict(batch_size=256, dataset=dict(pipeline=teacher_train_pipeline))
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader
