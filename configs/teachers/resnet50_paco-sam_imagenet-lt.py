# ResNet50 teacher, PaCo + SAM (rho 0.05) on ImageNet-LT: PaCo's R50 recipe, lr 0.02 for
# 128 images per step in all (4 GPUs x 32), wd 5e-4.
_base_ = [
    '../_base_/models/resnet50_paco.py',
    '../_base_/datasets/imagenet_lt.py',
    '../_base_/datasets/pipelines/paco_imagenet.py',
    '../_base_/schedules/teacher_imagenet_paco_sam_400e.py',
    '../_base_/deitlt_default_hooks.py',
]

# Each of the two views is normalised like a single image.
data_preprocessor = dict(
    _delete_=True, type='MultiViewClsDataPreprocessor', num_classes=1000,
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
# 32 images per GPU (PaCo: 4 GPUs, 128 in all) with drop_last (the queue length must be a
# multiple of the global batch); the student's test pipeline (short edge 256, crop 224).
train_dataloader = dict(
    batch_size=32, drop_last=True,
    dataset=dict(pipeline={{_base_.paco_imagenet_train_pipeline}}))
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader

model = dict(head=dict(num_classes=1000))
