# ResNet32 CIFAR teacher trained with LDAM-DRW (margins from the training counts,
# scale 30, max margin 0.5; effective-number weights from DRWHook's epoch on).
_base_ = ['./resnet32_cifar.py']

model = dict(
    head=dict(loss=dict(_delete_=True, type='LDAMLoss', max_margin=0.5, scale=30.0,
                        beta=0.9999)))
