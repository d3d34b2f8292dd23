# The 32 px pipelines of the CIFAR ResNet32 teachers (random crop 32 with padding 4 +
# horizontal flip; testing packs the image as is). Part of every CIFAR-LT config through
# ../cifar_lt.py; the teacher bases (../cifar{10,100}_lt_teacher.py) put them in the loaders.
teacher_train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
teacher_test_pipeline = [dict(type='PackInputs')]
