# DeiT-LT on CIFAR-10-LT, imbalance factor 50 (paper: 89.8 / 94.9 / 87.0 / 88.6).
# As deitlt_b_cifar10_if100.py (batch 128 x 2 GPUs x 4 = 1024, lr 1e-3, DRW at 1100)
# with the IF50 training set and its teacher.
_base_ = ['./deitlt_b_cifar10_if100.py']

model = dict(
    teacher_checkpoint='{{$DEITLT_TEACHER_CKPT:checkpoints/teachers/resnet32_cifar10_if50.pth}}')  # noqa: E501

train_dataloader = dict(dataset=dict(imb_factor=0.02))
