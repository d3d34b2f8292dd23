# PaCo's two-view CIFAR training pipeline (aug 'cifar100' of PaCo/LT/paco_cifar.py), at
# 32 px on RGB arrays; the data preprocessor normalises (CIFAR mean / std).
# View 1: random crop 32 (padding 4), flip, CIFAR-10 AutoAugment policy, Cutout 16.
# View 2: random resized crop 32 (scale 0.2-1), flip, colour jitter (0.4, 0.4, 0.4, 0.1)
# with p 0.8, grey with p 0.2, Gaussian blur sigma U[0.1, 2] with p 0.5.

# AutoAugment's CIFAR-10 policy as PaCo/LT/autoaug.py (CIFAR10Policy) applies it: 25
# sub-policies of two operations (probability, magnitude index i of 10 levels): shear
# 0.3 i/9, translate (150/331) i/9 of the side, rotate 30 i/9 degrees counter-clockwise
# (no random sign), colour / contrast / sharpness / brightness factor 1 +- 0.9 i/9,
# posterize round(8 - 4 i/9) bits, solarize threshold 256 - 256 i/9; fill 128.
cifar10_autoaugment_policies = [
    [dict(type='Invert', prob=0.1), dict(type='Contrast', magnitude=0.6, prob=0.2)],
    [dict(type='Rotate', angle=-30 / 9 * 2, random_negative_prob=0.0, prob=0.7),
     dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='horizontal', prob=0.3)],
    [dict(type='Sharpness', magnitude=0.1, prob=0.8),
     dict(type='Sharpness', magnitude=0.3, prob=0.9)],
    [dict(type='Shear', magnitude=0.3 / 9 * 8, direction='vertical', prob=0.5),
     dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.7)],
    [dict(type='AutoContrast', prob=0.5), dict(type='Equalize', prob=0.9)],
    [dict(type='Shear', magnitude=0.3 / 9 * 7, direction='vertical', prob=0.2),
     dict(type='Posterize', bits=5, prob=0.3)],
    [dict(type='ColorTransform', magnitude=0.3, prob=0.4),
     dict(type='Brightness', magnitude=0.7, prob=0.6)],
    [dict(type='Sharpness', magnitude=0.9, prob=0.3),
     dict(type='Brightness', magnitude=0.9, prob=0.7)],
    [dict(type='Equalize', prob=0.6), dict(type='Equalize', prob=0.5)],
    [dict(type='Contrast', magnitude=0.7, prob=0.6),
     dict(type='Sharpness', magnitude=0.5, prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.7, prob=0.7),
     dict(type='Translate', magnitude=150 / 331 / 9 * 8, direction='horizontal', prob=0.5)],
    [dict(type='Equalize', prob=0.3), dict(type='AutoContrast', prob=0.4)],
    [dict(type='Translate', magnitude=150 / 331 / 9 * 3, direction='vertical', prob=0.4),
     dict(type='Sharpness', magnitude=0.6, prob=0.2)],
    [dict(type='Brightness', magnitude=0.6, prob=0.9),
     dict(type='ColorTransform', magnitude=0.8, prob=0.2)],
    [dict(type='Solarize', thr=256 - 256 / 9 * 2, prob=0.5), dict(type='Invert', prob=0.0)],
    [dict(type='Equalize', prob=0.2), dict(type='AutoContrast', prob=0.6)],
    [dict(type='Equalize', prob=0.2), dict(type='Equalize', prob=0.6)],
    [dict(type='ColorTransform', magnitude=0.9, prob=0.9), dict(type='Equalize', prob=0.6)],
    [dict(type='AutoContrast', prob=0.8),
     dict(type='Solarize', thr=256 - 256 / 9 * 8, prob=0.2)],
    [dict(type='Brightness', magnitude=0.3, prob=0.1),
     dict(type='ColorTransform', magnitude=0.0, prob=0.7)],
    [dict(type='Solarize', thr=256 - 256 / 9 * 5, prob=0.4),
     dict(type='AutoContrast', prob=0.9)],
    [dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.9),
     dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.7)],
    [dict(type='AutoContrast', prob=0.9),
     dict(type='Solarize', thr=256 - 256 / 9 * 3, prob=0.8)],
    [dict(type='Equalize', prob=0.8), dict(type='Invert', prob=0.1)],
    [dict(type='Translate', magnitude=150 / 331 / 9 * 9, direction='vertical', prob=0.7),
     dict(type='AutoContrast', prob=0.9)],
]

# The two views (lists of transforms) of mmpretrain's MultiView.
paco_cifar_views = [
    [
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='AutoAugment', policies=cifar10_autoaugment_policies,
             hparams=dict(pad_val=128)),
        dict(type='ClippedCutout', length=16),
    ],
    [
        dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.2, 1.0), backend='pillow',
             interpolation='bilinear'),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='RandomApply', prob=0.8, transforms=[
            dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)]),
        # ITU-R 601 luma weights (PIL's 'L'), for RGB arrays.
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
             channel_weights=(0.299, 0.587, 0.114)),
        dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    ],
]

paco_cifar_train_pipeline = [
    dict(type='MultiView', num_views=[1, 1], transforms=paco_cifar_views),
    dict(type='PackInputs'),
]
