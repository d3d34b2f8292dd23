# ResNet32 CIFAR teacher trained with CE-DRW (plain cross entropy, then
# effective-number weights from DRWHook's epoch on).
_base_ = ['./resnet32_cifar.py']

model = dict(head=dict(loss=dict(_delete_=True, type='DRWCrossEntropyLoss', beta=0.9999)))
