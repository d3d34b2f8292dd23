# DeiT-LT CIFAR student: DeiT-B/16 at 224 px distilled from a CIFAR ResNet32 that
# sees the student's batch resized to 32 px. The ResNet32 is the architecture of
# ./resnet32_cifar.py (only backbone/neck/head matter for a teacher). Settings set
# the class count (student head, teacher head, data preprocessor) and the checkpoint.
_base_ = ['./deitlt_base_patch16_224.py']

model = dict(
    # _delete_: the base's teacher is None, which a dict cannot be merged into.
    teacher=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(type='ResNetCifarOptionA', depth=32),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=64)),
    teacher_size=32,
)
