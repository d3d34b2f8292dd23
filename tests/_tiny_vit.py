"""A tiny DeiT-LT student / DeiT baseline (8 px images, 4 px patches: a 2x2 patch grid)
as a config file and checkpoint, for the analysis, inference and vis-backend tests."""
import json
from pathlib import Path

import torch

CLASSES = ('ant', 'bee', 'cat', 'dog')
TRAIN_COUNTS = [8, 4, 2, 1]
EMBED_DIMS, NUM_LAYERS, NUM_HEADS, IMG, PATCH = 8, 2, 2, 8, 4
TEST_COUNTS = [3, 3, 3, 3]


def _model(student: bool) -> dict:
    backbone = dict(type='DistilledVisionTransformer',
                    arch=dict(embed_dims=EMBED_DIMS, num_layers=NUM_LAYERS,
                              num_heads=NUM_HEADS),
                    img_size=IMG, patch_size=PATCH, with_dist_token=student)
    preprocessor = dict(num_classes=len(CLASSES), mean=[127.5] * 3, std=[64.0] * 3)
    if not student:
        return dict(type='ImageClassifier', data_preprocessor=preprocessor, backbone=backbone,
                    head=dict(type='LinearClsHead', num_classes=len(CLASSES),
                              in_channels=EMBED_DIMS, loss=dict(type='CrossEntropyLoss')))
    return dict(
        type='DistillClassifier', data_preprocessor=preprocessor, backbone=backbone,
        head=dict(type='DualHead', num_classes=len(CLASSES), in_channels=EMBED_DIMS),
        teacher=dict(type='ImageClassifier',
                     backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8,
                                   base_channels=8),
                     neck=dict(type='GlobalAveragePooling'),
                     head=dict(type='LinearClsHead', num_classes=len(CLASSES),
                               in_channels=64)),
        # Never read: inference and analyses build the student without its teacher.
        teacher_checkpoint='/nonexistent/teacher.pth')


def config_text(student: bool = True, train: bool = False) -> str:
    """A config of the tiny model on RandomImageDataset images (test set: 3 per class)."""
    loader = dict(batch_size=5, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  dataset=dict(type='RandomImageDataset', class_counts=TEST_COUNTS,
                               img_size=IMG, seed=1, pipeline=[dict(type='PackInputs')],
                               metainfo=dict(classes=CLASSES)))
    cfg = dict(default_scope='deitlt_mm', model=_model(student), test_dataloader=loader,
               test_evaluator=dict(type='LongTailAccuracy', split='index', cut_points=[1, 3]),
               test_cfg=dict())
    if train:
        model = cfg['model']
        model.pop('teacher_checkpoint', None)
        if student:  # labels for both tokens: no teacher needed to train
            model.pop('teacher')
            model['head']['loss'] = dict(type='DRWDistillLoss', distillation_type='none')
        cfg.update(
            train_dataloader=dict(loader, sampler=dict(type='DefaultSampler', shuffle=True),
                                  dataset=dict(loader['dataset'], class_counts=TRAIN_COUNTS,
                                               seed=0)),
            val_dataloader=loader, val_evaluator=cfg['test_evaluator'], val_cfg=dict(),
            train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1),
            optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3)),
            default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                               checkpoint=dict(type='CheckpointHook', interval=2),
                               train_class_counts=dict(type='TrainClassCountsHook')),
            log_level='WARNING', randomness=dict(seed=0))
    return '\n'.join(f'{key} = {value!r}' for key, value in cfg.items()) + '\n'


def write_tiny_vit(folder, student: bool = True, edit=None, name: str = None):
    """Write ``<name>.py`` and ``<name>.pth`` (seeded random weights, changed by
    ``edit(model)`` if given; meta: training counts, epoch 3, class names) into
    ``folder``; returns ``(config path, checkpoint path)``."""
    from deitlt_mm.apis import init_model

    folder = Path(folder)
    name = name or ('student' if student else 'baseline')
    config = folder / f'{name}.py'
    config.write_text(config_text(student))
    torch.manual_seed(0)
    model = init_model(str(config))
    if edit is not None:
        with torch.no_grad():
            edit(model)
    checkpoint = folder / f'{name}.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(epoch=3, iter=9, train_class_counts=TRAIN_COUNTS,
                              dataset_meta=dict(classes=list(CLASSES)))), checkpoint)
    return str(config), str(checkpoint)


def zero_attention_logits(model) -> None:
    """Zero every query / key projection: each block's attention is uniform."""
    for block in model.backbone.blocks:
        block.attn.qkv.weight[:2 * EMBED_DIMS] = 0
        block.attn.qkv.bias[:2 * EMBED_DIMS] = 0


def read_json(path):
    return json.loads(Path(path).read_text())
