# DeiT-LT ImageNet-LT / iNat student: DeiT-B/16 at 224 px distilled from a
# ResNet50 at 224 px (mmpretrain's ResNet, the torchvision layout). Settings set the
# class count (student head, teacher head, data preprocessor) and the checkpoint.
_base_ = ['./deitlt_base_patch16_224.py']

model = dict(
    # _delete_: the base's teacher is None, which a dict cannot be merged into.
    teacher=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=50),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048)),
    teacher_size=224,
    # NHWC weights and input: the layout of GPU tensor-core convolutions (docs/gpu.md).
    teacher_channels_last=True,
)
