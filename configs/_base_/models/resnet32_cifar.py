# CIFAR ResNet32 (option-A shortcuts, 64-d feature): the DeiT-LT CIFAR teacher.
# Its data preprocessor (CIFAR mean / std) comes from the dataset config; as a
# student's `teacher` only backbone/neck/head matter (it sees the student's batch).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCifarOptionA', depth=32),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
