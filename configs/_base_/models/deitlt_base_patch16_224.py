# DeiT-LT student: DeiT-B distilled (patch 16, 224 px) + DualHead + DRWDistillLoss,
# Mixup / CutMix.
# Paper settings fill the teacher fields (`teacher`, `teacher_checkpoint`,
# `teacher_size`) and `num_classes`; hard distillation without a teacher is
# refused at build time with a message saying so.
model = dict(
    type='DistillClassifier',
    backbone=dict(
        type='DistilledVisionTransformer',
        arch='deit-base',
        img_size=224,
        patch_size=16,
        drop_path_rate=0.1),
    head=dict(
        type='DualHead',
        num_classes=1000,
        in_channels=768,
        loss=dict(
            type='DRWDistillLoss',
            alpha=0.5,
            distillation_type='hard',
            tau=1.0,
            beta=0.9999,
            # mmpretrain's Mixup/CutMix do not smooth; the loss smooths soft targets.
            label_smoothing=0.1,
            weighted_cls_loss=False)),
    teacher=None,
    teacher_checkpoint=None,
    teacher_size=None,
    # The label order the teacher predicts in: 'student' (the datasets' labels: CIFAR
    # teachers, any teacher trained with configs/teachers/) or 'original' (the dataset's
    # original labels: the published ImageNet-LT / iNat teachers), which needs the
    # dataset's class map file (see configs/deitlt/deitlt_b_imagenetlt.py).
    teacher_label_order='student',
    teacher_class_map_file=None,
    # Mixup/CutMix through train_cfg, as mmpretrain's DeiT configs: ImageClassifier hands
    # them to the data preprocessor (whose normalisation comes from the dataset config).
    # timm's mixup_switch_prob 0.5: each batch gets Mixup or CutMix, evenly. That is
    # RandomBatchAugment's default (probs=None); an explicit probs list would be
    # appended to in place by mmpretrain, breaking a second build of this config.
    # InPlaceMixup = mmpretrain's Mixup (bit-identical), without its batch temporaries.
    train_cfg=dict(
        augments=[dict(type='InPlaceMixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]),
)
