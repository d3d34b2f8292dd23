# A tiny distilled ViT at 32 px (patch 4, 64-d, 2 blocks) for CPU runs and tests;
# everything else as the DeiT-LT student.
_base_ = ['./deitlt_base_patch16_224.py']

model = dict(
    backbone=dict(
        # _delete_: replaces the base's arch name by a custom arch dict.
        arch=dict(_delete_=True, embed_dims=64, num_layers=2, num_heads=2, mlp_ratio=4.0),
        img_size=32,
        patch_size=4,
        drop_path_rate=0.0),
    head=dict(num_classes=10, in_channels=64),
    data_preprocessor=dict(num_classes=10),
)
