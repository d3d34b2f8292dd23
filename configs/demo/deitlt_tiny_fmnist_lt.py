# Demo stage 2: a small DeiT-LT student (32 px, patch 4 -> 64 tokens + CLS + DIST)
# on Fashion-MNIST-LT, distilled from the demo's ResNet20 teacher
# (configs/demo/resnet20_fmnist_lt_teacher.py) fed the mixed batch at 32 px.
# Same method as the paper settings (Mixup/CutMix, hard distillation alpha 0.5,
# DRW with beta 0.9999 on the distillation loss, no Mixup under DRW); the budget is
# minutes on 2 CPU cores, so the model is small and the lr higher.
# Teacher weights: DEITLT_TEACHER_CKPT or --cfg-options model.teacher_checkpoint=...
_base_ = [
    '../_base_/models/deitlt_base_resnet32_teacher.py',
    '../_base_/datasets/fashion_mnist_lt.py',
    '../_base_/schedules/deitlt_adamw_cosine.py',
    '../_base_/deitlt_default_hooks.py',
]

# Budget: 468 iterations of 128 images, 4 epochs of Fashion-MNIST-LT (117 batches each),
# on any data (IterBudgetTrainLoop: more epochs on a smaller set, fewer on a larger one).
# Warm-up over the first 1/6, cosine after it; DRW and no Mixup/CutMix over the last 1/6
# (the paper's CIFAR runs re-weight the last 100 of 1200 epochs): iterations computed
# here from the budget.
train_iters = 468
warmup_iters = train_iters // 6
drw_iter = train_iters - train_iters // 6

model = dict(
    backbone=dict(
        # _delete_: a custom arch dict replaces the base's 'deit-base' name.
        arch=dict(_delete_=True, embed_dims=64, num_layers=4, num_heads=2,
                  mlp_ratio=2.0),
        img_size=32,
        patch_size=4,
        drop_path_rate=0.0),
    head=dict(num_classes=10, in_channels=64),
    # The demo's teacher: the paper's CIFAR ResNet at depth 20.
    teacher=dict(backbone=dict(depth=20), head=dict(num_classes=10)),
    teacher_checkpoint='{{$DEITLT_TEACHER_CKPT:work_dirs/demo/teacher/epoch_2.pth}}',
)

train_dataloader = dict(batch_size=128)

# Batch 128 on one device, no accumulation; a short run needs a higher lr than
# the paper's 5e-4 x 128 / 512.
base_lr = 2e-3
optim_wrapper = dict(optimizer=dict(lr=base_lr), accumulative_counts=1)
auto_scale_lr = dict(enable=False)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=warmup_iters),
    # Ends at train_cfg.max_iters (mmengine's Runner), T_max = end - begin.
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False, begin=warmup_iters),
]
# _delete_: the base's epoch-based loop; validates (when a val loop is configured) after
# the last epoch only.
train_cfg = dict(_delete_=True, type='IterBudgetTrainLoop', max_iters=train_iters)

custom_hooks = [dict(type='DRWHook', drw=drw_iter, by_epoch=False, no_mixup_drw=True)]

default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=-1))
