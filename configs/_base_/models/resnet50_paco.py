# ResNet50 teacher (ImageNet-LT / iNaturalist-2018) trained with PaCo (configs of
# PaCo/LT/sh/{ImageNetLT,Inat}_train_R50.sh): MoCo key encoder (m 0.999) and a queue
# of 8192 keys of dim 128, MLP projection 2048-2048-128, PaCoLoss alpha 0.05,
# beta = gamma = supt = 1, temperature 0.2. Settings fill `num_classes`. Inference is
# the ResNet50 ImageClassifier of the DeiT-LT ImageNet-LT / iNat teacher.
model = dict(
    type='PaCoClassifier',
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    # PaCo's classifier is a plain nn.Linear: PyTorch's default init, not LinearClsHead's.
    head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048, init_cfg=None),
    projector=dict(
        type='NonLinearNeck', in_channels=2048, hid_channels=2048, out_channels=128,
        num_layers=2, with_bias=True, with_last_bn=False, with_last_bias=True,
        with_avg_pool=False, norm_cfg=dict(type='BN1d')),
    loss=dict(type='PaCoLoss', alpha=0.05, beta=1.0, gamma=1.0, supt=1.0, temperature=0.2),
    queue_size=8192,
    momentum=0.001,
)
