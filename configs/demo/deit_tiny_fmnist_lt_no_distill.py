# Demo stage 3: the no-distillation baseline, DeiT without teacher: the student's
# backbone without its DIST token (and its head), a linear head on CLS, with the
# student's size, data, Mixup/CutMix, label smoothing and schedule. Nothing to
# re-weight: no DRW.
_base_ = ['./deitlt_tiny_fmnist_lt.py']

model = dict(
    # _delete_: a plain ImageClassifier has no teacher fields.
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='DistilledVisionTransformer',
        # The student's size: 64-d, 4 blocks, 2 heads, MLP ratio 2.
        arch=dict(embed_dims=64, num_layers=4, num_heads=2, mlp_ratio=2.0),
        img_size=32,
        patch_size=4,
        drop_path_rate=0.0,
        with_dist_token=False),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        # DeiT's classifier init (DualHead's): truncated normal std .02, zero bias.
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
    train_cfg={{_base_.model.train_cfg}},
)
custom_hooks = []
