# Demo stage 1 with `tools/demo.py --teacher paco`: the CIFAR ResNet32 teacher trained
# with PaCo + SAM on Fashion-MNIST-LT (IF100) at 32 px, the CIFAR PaCo recipe
# (../_base_/models/resnet32_cifar_paco.py, two views of
# ../_base_/datasets/pipelines/paco_cifar.py, SGD lr 0.05 momentum 0.9 wd 5e-4, batch
# 128, SAM rho 0.05) at the demo's budget of 2 epochs: warmup then cosine.
_base_ = [
    '../_base_/models/resnet32_cifar_paco.py',
    '../_base_/datasets/fashion_mnist_lt.py',
    '../_base_/datasets/pipelines/paco_cifar.py',
    '../_base_/schedules/teacher_cifar_paco_sam_400e.py',
    '../_base_/default_runtime.py',
]

max_epochs = 2

model = dict(head=dict(num_classes=10))
# Each of the two views is normalised like a single image.
data_preprocessor = dict(type='MultiViewClsDataPreprocessor')

# Grey 28x28 -> 3-channel 32x32, then PaCo's two CIFAR views.
train_pipeline = [
    dict(type='GrayToRGB'),
    dict(type='Resize', scale=(32, 32), backend='pillow', interpolation='bicubic'),
    dict(type='MultiView', num_views=[1, 1], transforms={{_base_.paco_cifar_views}}),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=128, drop_last=True, dataset=dict(pipeline=train_pipeline))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=True, begin=1, end=max_epochs,
         T_max=max_epochs - 1, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)

default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=max_epochs))
