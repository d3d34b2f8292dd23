# DeiT-B/16 at 224 px without distillation (the paper's "DeiT" baseline): mmpretrain's
# VisionTransformer (CLS token only) + a linear head, with the DeiT-LT student's
# drop path, Mixup/CutMix, label smoothing and data preprocessor.
_base_ = ['./deitlt_base_patch16_224.py']

model = dict(
    _delete_=True,
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch='deit-base',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=1000,
        in_channels=768,
        # Smooths Mixup/CutMix soft targets as t * 0.9 + 0.1 / C, like DRWDistillLoss.
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    data_preprocessor={{_base_.model.data_preprocessor}},
)
