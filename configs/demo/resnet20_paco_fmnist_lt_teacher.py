# Demo stage 1 with `tools/demo.py --teacher paco`: the demo's CIFAR ResNet20 teacher trained
# with PaCo + SAM on Fashion-MNIST-LT (IF100) at 32 px, the CIFAR PaCo recipe
# (../_base_/models/resnet32_cifar_paco.py, two views of
# ../_base_/datasets/pipelines/paco_cifar.py, SGD lr 0.05 momentum 0.9 wd 5e-4, batch
# 128, SAM rho 0.05) at the demo's budget: warmup then cosine.
_base_ = [
    '../_base_/models/resnet32_cifar_paco.py',
    '../_base_/datasets/fashion_mnist_lt.py',
    '../_base_/datasets/pipelines/paco_cifar.py',
    '../_base_/schedules/teacher_cifar_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

# Budget: 232 iterations of 128 images, 2 epochs of Fashion-MNIST-LT (116 whole batches
# each), on any data (IterBudgetTrainLoop: more epochs on a smaller set, fewer on a larger
# one). Warm-up over the first half, cosine over the second: iterations computed here
# from the budget.
train_iters = 232
warmup_iters = train_iters // 2

# Depth 20, as the CE-DRW demo teacher (./resnet20_fmnist_lt_teacher.py).
model = dict(backbone=dict(depth=20), head=dict(num_classes=10))
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
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=warmup_iters),
    # Ends at train_cfg.max_iters (mmengine's Runner), T_max = end - begin.
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=False, begin=warmup_iters),
]
# _delete_: the base's 400-epoch loop; validates (when a val loop is configured) after the
# last epoch only.
train_cfg = dict(_delete_=True, type='IterBudgetTrainLoop', max_iters=train_iters)

default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=-1))
