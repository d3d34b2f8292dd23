# The DeiT-LT student schedule of ./deitlt_adamw_cosine.py at the ImageNet-LT / iNat
# reference batch: 128 per GPU x 4 GPUs x 4 accumulation steps = 2048, so
# auto_scale_lr gives lr 5e-4 x 2048 / 512 = 2e-3 on 4 GPUs. Only the warmup start
# factor depends on the reference batch (warmup from 1e-6 at that batch).
_base_ = ['./deitlt_adamw_cosine.py']

reference_batch = 128 * 4 * 4
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6 / (5e-4 * reference_batch / 512),
         by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5,
         convert_to_iter_based=True),
]
