# The 224 px training pipeline of the ResNet50 teachers on ImageNet-LT / iNaturalist-2018:
# random resized crop + flip (no RandAugment / erasing, the usual ResNet recipe); they test
# with the student's pipeline (short edge 256, centre crop 224).
teacher_train_pipeline = [
    dict(type='LoadImageWithCheck'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
