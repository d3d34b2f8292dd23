"""Two CPU epochs of a tiny DeiT-LT student through mmengine's Runner."""
import math
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.runner import Runner

MODEL_CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'models'
COUNTS = [8, 4, 2, 2]


def tiny_run_config(work_dir):
    model = Config.fromfile(str(MODEL_CONFIGS / 'deit_tiny_patch4_32.py')).model
    teacher = Config.fromfile(str(MODEL_CONFIGS / 'resnet32_cifar.py')).model
    teacher.backbone.depth = 8
    teacher.head.num_classes = len(COUNTS)
    model.teacher = teacher
    model.teacher_size = 16
    model.head.num_classes = len(COUNTS)
    model.data_preprocessor.num_classes = len(COUNTS)
    model.data_preprocessor.to_rgb = False
    return Config(dict(
        default_scope='deitlt_mm',
        work_dir=str(work_dir),
        model=model,
        train_dataloader=dict(
            batch_size=4, num_workers=0,
            dataset=dict(type='RandomImageDataset', class_counts=COUNTS, img_size=32,
                         pipeline=[dict(type='PackInputs')]),
            sampler=dict(type='DefaultSampler', shuffle=True),
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)),
        custom_hooks=[dict(type='DRWHook', drw=1)],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=1),
                           train_class_counts=dict(type='TrainClassCountsHook')),
        randomness=dict(seed=0),
    ))


def test_two_epochs_with_drw_at_epoch_one(tmp_path):
    runner = Runner.from_cfg(tiny_run_config(tmp_path))
    loss_module = runner.model.head.loss_module
    calls = []
    loss_module.register_forward_pre_hook(
        lambda module, args: calls.append((args[2].dim(), module.drw_active)))
    runner.train()

    iters_per_epoch = sum(COUNTS) // 4
    # Epoch 0: mixed soft targets, no DRW; epoch 1: hard labels (mixup off), DRW on.
    assert calls == [(2, False)] * iters_per_epoch + [(1, True)] * iters_per_epoch
    assert torch.allclose(loss_module.class_weights.sum(), torch.tensor(float(len(COUNTS))))
    for key in ('train/loss_cls', 'train/loss_dist'):
        values = runner.message_hub.get_scalar(key).data[0]
        assert len(values) == 2 * iters_per_epoch, key
        assert all(math.isfinite(v) for v in values), key
    log_text = next(Path(runner.log_dir).glob('*.log')).read_text()
    assert 'loss_cls' in log_text and 'loss_dist' in log_text
    assert 'DRWHook: epoch 0: DRW off' in log_text
    assert 'DRWHook: epoch 1: DRW on, batch augments off' in log_text
    # The saved student checkpoint holds no teacher weights.
    checkpoint = torch.load(Path(tmp_path) / 'epoch_2.pth', map_location='cpu',
                            weights_only=False)
    assert checkpoint['state_dict'] and not any(
        key.startswith('teacher') for key in checkpoint['state_dict'])
