# PaCo's two-view training pipeline for ImageNet-LT / iNaturalist-2018 at 224 px (aug
# 'randcls_sim' of PaCo/LT/paco_lt.py), on images loaded BGR; the data preprocessor
# converts to RGB and normalises.
# View 1: random resized crop 224 (scale 0.08-1), flip, colour jitter (0.4, 0.4, 0.4, 0),
# RandAugment 'rand-n2-m10-mstd0.5' over timm's original operations
# (PaCo/LT/randaugment.py).
# View 2: random resized crop 224 (scale 0.08-1), colour jitter (0.4, 0.4, 0.4, 0), grey
# with p 0.2, Gaussian blur sigma U[0.1, 2] with p 0.5, flip.

# Fill of RandAugment's geometric ops: PaCo's ImageNet mean (0.485, 0.456, 0.406) x 255
# (also for iNat), BGR order.
paco_randaugment_fill = [104, 116, 124]

paco_imagenet_train_pipeline = [
    dict(type='LoadImageWithCheck'),
    dict(
        type='MultiView',
        num_views=[1, 1],
        transforms=[
            [
                dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0),
                     backend='pillow', interpolation='bilinear'),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
                dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
                # PaCo's 'rand-n2-m10-mstd0.5'.
                dict(type='TimmRandAugment', num_policies=2, magnitude_level=10,
                     magnitude_std=0.5, hparams=dict(pad_val=paco_randaugment_fill)),
            ],
            [
                dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.08, 1.0),
                     backend='pillow', interpolation='bilinear'),
                dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
                # ITU-R 601 luma weights (PIL's 'L'), for BGR images.
                dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
                     channel_weights=(0.114, 0.587, 0.299)),
                dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf',
                     prob=0.5),
                dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            ],
        ]),
    dict(type='PackInputs'),
]
