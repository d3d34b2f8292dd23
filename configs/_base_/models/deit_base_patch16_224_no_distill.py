# DeiT-B/16 at 224 px without distillation (the paper's "DeiT" baseline): the DeiT-LT
# student's backbone without its DIST token (and without its head) + a linear head on
# the CLS token with DeiT's init, with the student's drop path, Mixup/CutMix and label
# smoothing.
_base_ = ['./deitlt_base_patch16_224.py']

model = dict(
    # _delete_: a plain ImageClassifier has no teacher fields.
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='DistilledVisionTransformer',
        arch='deit-base',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1,
        with_dist_token=False),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=768,
        # Smooths Mixup/CutMix soft targets as t * 0.9 + 0.1 / C, like DRWDistillLoss.
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        # DeiT's classifier init (DualHead's): truncated normal std .02, zero bias.
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
    train_cfg={{_base_.model.train_cfg}},
)
