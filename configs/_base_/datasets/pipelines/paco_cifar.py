# PaCo's two-view CIFAR training pipeline (aug 'cifar100' of PaCo/LT/paco_cifar.py), at
# 32 px on RGB arrays; the data preprocessor normalises (CIFAR mean / std).
# View 1: random crop 32 (padding 4), flip, CIFAR-10 AutoAugment policy, Cutout 16.
# View 2: random resized crop 32 (scale 0.2-1), flip, colour jitter (0.4, 0.4, 0.4, 0.1)
# with p 0.8, grey with p 0.2, Gaussian blur sigma U[0.1, 2] with p 0.5.

# The two views (lists of transforms) of mmpretrain's MultiView.
paco_cifar_views = [
    [
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='CIFAR10AutoAugment', hparams=dict(pad_val=128)),  # PaCo's fill
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
