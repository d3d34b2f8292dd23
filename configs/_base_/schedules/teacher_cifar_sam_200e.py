# CIFAR-LT teacher recipe of SAM for long tails (REFERENCE "Teachers"): 200
# epochs, SGD lr 0.1 momentum 0.9 wd 2e-4, batch 128, SAM, DRW at epoch 160.
# The lr follows the LDAM-DRW schedule that recipe builds on: linear warmup over
# the first 5 epochs (0.02, 0.04, ..., 0.1, per epoch), x0.01 from epoch 160 and
# x0.0001 from epoch 180 (0-based epochs). Settings set `optim_wrapper.rho`.
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.8,
    adaptive=False,
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=2e-4))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.2, end_factor=1.0, begin=0, end=5, by_epoch=True),
    dict(type='MultiStepLR', milestones=[160, 180], gamma=0.01, by_epoch=True),
]

# Counts come from the training set; teachers have no batch augments to switch off.
custom_hooks = [dict(type='DRWHook', drw=160, no_mixup_drw=False)]

train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=128, enable=False)
