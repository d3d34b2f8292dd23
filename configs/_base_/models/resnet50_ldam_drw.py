# ResNet50 teacher (ImageNet-LT / iNaturalist-2018) trained with LDAM-DRW.
# Settings fill `num_classes`; the data preprocessor comes from the dataset config.
# Used as a student's `teacher`, only backbone/neck/head matter (the teacher sees
# the student's preprocessed batch).
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2048,
        loss=dict(type='LDAMLoss', max_margin=0.5, scale=30.0, beta=0.9999)),
)
