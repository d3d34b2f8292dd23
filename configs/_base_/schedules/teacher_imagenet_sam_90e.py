# ImageNet-LT / iNaturalist-2018 teacher recipe of SAM for long tails
# (REFERENCE "Teachers"): 90 epochs, batch 256, SGD momentum 0.9 wd 2e-4, cosine
# lr (per iteration, to 0), SAM with rho stepping 0.05 / 0.1 / 0.5 / 0.5 at
# epochs 5 / 60 / 75 (0-based: 0.05 for epochs 0-4, 0.1 for 5-59, 0.5 from 60).
# Settings set the lr (0.2 ImageNet-LT, 0.1 iNat). DRW from epoch 60 (where rho
# rises; the recipe does not state the DRW epoch).
optim_wrapper = dict(
    type='SAMOptimWrapper',
    rho=0.05,
    adaptive=False,
    optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=2e-4))

# Cosine over the whole run: mmengine's Runner ends it at train_cfg.max_epochs.
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]

custom_hooks = [
    dict(type='SAMRhoHook', milestones=[5, 60, 75], values=[0.05, 0.1, 0.5, 0.5]),
    dict(type='DRWHook', drw=60, no_mixup_drw=False),
]

train_cfg = dict(by_epoch=True, max_epochs=90, val_interval=5)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=256, enable=False)
