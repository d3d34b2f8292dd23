# PaCo's two-view training pipeline for ImageNet-LT / iNaturalist-2018 at 224 px (aug
# 'randcls_sim' of PaCo/LT/paco_lt.py), on images loaded BGR; the data preprocessor
# converts to RGB and normalises.
# View 1: random resized crop 224 (scale 0.08-1), flip, colour jitter (0.4, 0.4, 0.4, 0),
# RandAugment 'rand-n2-m10-mstd0.5' (PaCo/LT/randaugment.py).
# View 2: random resized crop 224 (scale 0.08-1), colour jitter (0.4, 0.4, 0.4, 0), grey
# with p 0.2, Gaussian blur sigma U[0.1, 2] with p 0.5, flip.

# PaCo's RandAugment ops (timm's original, non-"increasing" set): 2 of these 15 drawn
# with replacement, each applied with p 0.5 at level ~ N(10, 0.5) clipped to [0, 10];
# magnitude = level / 10 of the range (random sign where timm negates). Differences
# from PaCo's: the interpolation is fixed (bicubic shear / rotate, nearest translate)
# where timm draws bilinear or bicubic per op, and solarize thresholds are not
# truncated to integers.
paco_randaugment_policies = [
    dict(type='AutoContrast'),
    dict(type='Equalize'),
    dict(type='Invert'),
    dict(type='Rotate', magnitude_range=(0, 30)),
    # 'PosterizeTpu': int(level * 0.4) bits; Posterize rounds up, hence the offset.
    dict(type='Posterize', magnitude_range=(-0.999999, 3.000001)),
    dict(type='Solarize', magnitude_range=(0, 256)),
    dict(type='SolarizeAdd', magnitude_range=(0, 110), thr=128),
    # Enhancement factor 0.1 + 1.8 * level / 10 = 1 + magnitude, no random sign.
    dict(type='ColorTransform', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Contrast', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Brightness', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Sharpness', magnitude_range=(-0.9, 0.9), random_negative_prob=0.0),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
    dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='horizontal'),
    dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
]
# Fill of the geometric ops: PaCo's ImageNet mean (0.485, 0.456, 0.406) x 255, BGR order.
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
                dict(type='RandAugment', policies=paco_randaugment_policies, num_policies=2,
                     magnitude_level=10, magnitude_std=0.5, total_level=10,
                     hparams=dict(pad_val=paco_randaugment_fill)),
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
