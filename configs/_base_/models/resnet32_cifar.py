# CIFAR ResNet32 (option-A shortcuts, 64-d feature): the DeiT-LT CIFAR teacher.
# Used as a student's `teacher`, only backbone/neck/head matter: the teacher is fed
# the student's preprocessed batch, not through this data preprocessor.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCifarOptionA', depth=32),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=100,
        # CIFAR mean / std in 0-255; CIFAR images are already RGB.
        mean=[125.307, 122.961, 113.8575],
        std=[51.5865, 50.847, 51.255],
        to_rgb=False),
)
