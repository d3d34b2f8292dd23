# Baseline: DeiT-B without distillation on CIFAR-10-LT, imbalance factor 50.
_base_ = ['./deit_b_cifar10_if100_no_distill.py']

train_dataloader = dict(dataset=dict(imb_factor=0.02))
