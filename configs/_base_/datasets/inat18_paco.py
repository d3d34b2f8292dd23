# iNaturalist-2018 for the ResNet50 PaCo teacher: as ./imagenet_lt_paco.py, with PaCo's
# iNat normalisation, mean (0.466, 0.471, 0.380) and std (0.195, 0.194, 0.192) x 255 (RGB).
_base_ = ['./inat18.py', './pipelines/paco_imagenet.py']

# Each of the two views is normalised like a single image.
data_preprocessor = dict(
    _delete_=True, type='MultiViewClsDataPreprocessor', num_classes=8142,
    mean=[118.83, 120.105, 96.9], std=[49.725, 49.47, 48.96], to_rgb=True)

train_dataloader = dict(
    batch_size=32, drop_last=True,
    dataset=dict(pipeline={{_base_.paco_imagenet_train_pipeline}}))
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
