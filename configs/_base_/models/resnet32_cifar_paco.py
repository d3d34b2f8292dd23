# ResNet32 CIFAR teacher trained with PaCo (configs of PaCo/LT/sh/CIFAR100_train_*.sh):
# MoCo key encoder (m 0.999) and a queue of 1024 keys of dim 32, MLP projection
# 64-64-32 (Linear, BN, ReLU, Linear), PaCoLoss alpha 0.01, beta = gamma = supt = 1,
# temperature 0.05. Inference is the ResNet32 ImageClassifier of ./resnet32_cifar.py
# (a checkpoint loads into it as a student's teacher).
_base_ = ['./resnet32_cifar.py']

model = dict(
    type='PaCoClassifier',
    # PaCo's classifier is a plain nn.Linear: PyTorch's default init, not LinearClsHead's.
    head=dict(init_cfg=None),
    projector=dict(
        type='NonLinearNeck', in_channels=64, hid_channels=64, out_channels=32, num_layers=2,
        with_bias=True, with_last_bn=False, with_last_bias=True, with_avg_pool=False,
        norm_cfg=dict(type='BN1d')),
    loss=dict(type='PaCoLoss', alpha=0.01, beta=1.0, gamma=1.0, supt=1.0, temperature=0.05),
    queue_size=1024,
    momentum=0.001,
)
