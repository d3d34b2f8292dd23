# Baseline: DeiT-B without distillation on CIFAR-100-LT, imbalance factor 50.
_base_ = ['./deit_b_cifar100_if100_no_distill.py']

train_dataloader = dict(dataset=dict(imb_factor=0.02))
