# ResNet50 teacher, PaCo + SAM (rho 0.05) on iNaturalist-2018: PaCo's R50 recipe, lr 0.02
# for 128 images per step in all (4 GPUs x 32), wd 1e-4.
_base_ = [
    '../_base_/models/resnet50_paco.py',
    '../_base_/datasets/inat18.py',
    '../_base_/datasets/pipelines/paco_imagenet.py',
    '../_base_/schedules/teacher_imagenet_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

# Each of the two views is normalised like a single image, with PaCo's iNat
# normalisation: mean (0.466, 0.471, 0.380), std (0.195, 0.194, 0.192) x 255, RGB.
data_preprocessor = dict(
    _delete_=True, type='MultiViewClsDataPreprocessor', num_classes=8142,
    mean=[118.83, 120.105, 96.9], std=[49.725, 49.47, 48.96], to_rgb=True)
# 32 images per GPU (PaCo: 4 GPUs, 128 in all) with drop_last (the queue length must be a
# multiple of the global batch); the student's test pipeline (short edge 256, crop 224).
train_dataloader = dict(
    batch_size=32, drop_last=True,
    dataset=dict(pipeline={{_base_.paco_imagenet_train_pipeline}}))
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader

model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))
