# A tiny distilled ViT at 32 px (patch 4, 64-d, 2 blocks) for CPU runs and tests;
# everything else as the DeiT-LT student. No dataset config comes with it, so it
# carries its data preprocessor (ImageNet mean / std, 10 classes).
_base_ = ['./deitlt_base_patch16_224.py']

model = dict(
    backbone=dict(
        # _delete_: replaces the base's arch name by a custom arch dict.
        arch=dict(_delete_=True, embed_dims=64, num_layers=2, num_heads=2, mlp_ratio=4.0),
        img_size=32,
        patch_size=4,
        drop_path_rate=0.0),
    head=dict(num_classes=10, in_channels=64),
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=10,
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True),
)
