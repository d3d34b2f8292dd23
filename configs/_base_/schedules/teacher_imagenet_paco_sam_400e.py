# PaCo's ImageNet-LT / iNaturalist-2018 recipe (PaCo/LT/paco_lt.py,
# sh/{ImageNetLT,Inat}_train_R50.sh) with SAM: 400 epochs, batch 128 in all (4 GPUs x
# 32), SGD lr 0.02 momentum 0.9 wd 5e-4 (settings change wd), lr per epoch e (0-based)
# as PaCo's adjust_learning_rate: lr (e + 1) / 10 for e < 10, then
# lr (1 + cos(pi (e - 9) / 391)) / 2. SAM rho 0.05, see teacher_cifar_paco_sam_400e.py.
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,
    adaptive=False,
    optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=5e-4))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, end_factor=1.0, begin=0, end=10, by_epoch=True),
    # Starts at epoch 9 (factor 1, where the warmup ends) so epoch e gets step e - 9.
    dict(type='CosineAnnealingLR', T_max=391, eta_min=0.0, begin=9, end=400, by_epoch=True),
]

# No DRW phase, see teacher_cifar_paco_sam_400e.py.

train_cfg = dict(by_epoch=True, max_epochs=400, val_interval=10)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=128, enable=False)
