# ResNet50 teacher, LDAM-DRW + SAM (rho steps) on iNaturalist-2018, lr 0.1.
# Trained on the frequency-ordered labels of the datasets (like the student), so as
# a DeiT-LT teacher it needs no class map: model.teacher_label_order='student'.
_base_ = [
    '../_base_/models/resnet50_ldam_drw.py',
    '../_base_/datasets/inat18.py',
    '../_base_/datasets/pipelines/resnet_imagenet.py',
    '../_base_/schedules/teacher_imagenet_sam_90e.py',
    '../_base_/deitlt_default_hooks.py',
]

# The teachers' recipe has no random erasing: a plain ClsDataPreprocessor.
data_preprocessor = dict(
    _delete_=True, type='ClsDataPreprocessor', num_classes=8142,
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
train_dataloader = dict(batch_size=256, dataset=dict(pipeline={{_base_.teacher_train_pipeline}}))
val_dataloader = dict(batch_size=256)
test_dataloader = val_dataloader

model = dict(head=dict(num_classes=8142))
optim_wrapper = dict(optimizer=dict(lr=0.1))
