# Demo stage 3: the no-distillation baseline, DeiT without teacher (CLS token only,
# mmpretrain's VisionTransformer + a linear head) with the student's size, data,
# Mixup/CutMix, label smoothing and schedule. Nothing to re-weight: no DRW.
_base_ = ['./deitlt_tiny_fmnist_lt.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        # The student's size: 64-d, 4 blocks, 2 heads, MLP ratio 2.
        arch=dict(embed_dims=64, num_layers=4, num_heads=2, feedforward_channels=128),
        img_size=32,
        patch_size=4,
        drop_path_rate=0.0),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    data_preprocessor={{_base_.model.data_preprocessor}},
)
custom_hooks = []
