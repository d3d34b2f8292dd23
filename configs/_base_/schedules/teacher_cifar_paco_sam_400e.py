# PaCo's CIFAR-LT recipe (PaCo/LT/paco_cifar.py, sh/CIFAR100_train_imb0.01.sh) with SAM:
# 400 epochs, batch 128, SGD lr 0.05 momentum 0.9 wd 5e-4, lr per epoch e (0-based) as
# PaCo's adjust_learning_rate: lr (e + 1) / 10 for e <= 10 (so epoch 10 runs at 1.1 lr,
# as in PaCo), lr up to epoch 320, 0.1 lr from 321, 0.01 lr from 361.
# SAM rho 0.05: neither PaCo nor DeiT-LT publish the rho of the PaCo + SAM teachers; 0.05
# is SAM's default and what the same group used for SAM on a contrastive long-tail method
# (GLMC + SAM, val-iisc/Saddle-LongTail README). See docs/paco.md.
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,
    adaptive=False,
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, end_factor=1.0, begin=0, end=10, by_epoch=True),
    # PaCo's warmup test is `epoch <= 10`: epoch 10 runs at (10 + 1) / 10 = 1.1 lr.
    dict(type='MultiStepLR', milestones=[10], gamma=1.1, by_epoch=True),
    dict(type='MultiStepLR', milestones=[11], gamma=1 / 1.1, by_epoch=True),
    dict(type='MultiStepLR', milestones=[321, 361], gamma=0.1, by_epoch=True),
]

# PaCo has no DRW phase, hence no DRWHook; PaCoLoss's class prior comes from the training
# counts (TrainClassCountsHook, ../deitlt_default_hooks.py).

train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=10)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=128, enable=False)
