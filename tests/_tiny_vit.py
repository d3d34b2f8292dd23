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


def write_reference_student(path, num_classes: int = len(CLASSES), seed: int = 0):
    """A student file laid out as the reference code's ``main.py`` saves its
    ``*_best_checkpoint.pth``: ``model`` (timm ``VisionTransformerDistilled`` state dict of
    the tiny student's shape), ``optimizer``, ``lr_scheduler``, ``epoch``, ``model_ema``,
    ``scaler``, ``args`` (an ``argparse.Namespace``) and the best accuracies; returns the
    timm model (eval mode)."""
    import argparse

    from timm.models.deit import VisionTransformerDistilled

    torch.manual_seed(seed)
    timm_model = VisionTransformerDistilled(
        img_size=IMG, patch_size=PATCH, embed_dim=EMBED_DIMS, depth=NUM_LAYERS,
        num_heads=NUM_HEADS, num_classes=num_classes).eval()
    # Random class / distillation tokens and position embeddings (timm starts some at 0).
    with torch.no_grad():
        for name in ('cls_token', 'dist_token', 'pos_embed'):
            getattr(timm_model, name).normal_()
    optimizer = torch.optim.AdamW(timm_model.parameters(), lr=1e-3)
    args = argparse.Namespace(model='deit_base_distilled_patch16_224', data_set='CIFAR10LT',
                              imb_factor=100, teacher_path='paco_sam_ckpt_cf10_if100.pth.tar',
                              distillation_type='hard', epochs=1200, output_dir=Path('/out'))
    accuracies = {f'{kind}_acc_{name}': 50.0 for kind in ('best', 'head', 'med', 'tail')
                  for name in ('avg', 'cls', 'dist')}
    torch.save(dict(model=timm_model.state_dict(), optimizer=optimizer.state_dict(),
                    lr_scheduler=dict(base_values=[1e-3], t_in_epochs=True), epoch=1199,
                    model_ema=None, scaler=dict(scale=65536.0, _growth_tracker=0),
                    args=args, **accuracies), path)
    return timm_model


PAPER_CONFIG = Path(__file__).resolve().parents[1] / 'configs' / 'deitlt' / \
    'deitlt_b_cifar10_if100.py'


def write_tiny_paper_config(path) -> str:
    """``configs/deitlt/deitlt_b_cifar10_if100.py`` (model, teacher and its
    ``teacher_checkpoint``, evaluator, runtime) with the tiny student's backbone and a
    test set of seeded random 8 px images (3 per class), as a config file at ``path``."""
    test_counts = [3] * 10
    Path(path).write_text(f'''_base_ = [{str(PAPER_CONFIG)!r}]
model = dict(backbone=dict(arch=dict(_delete_=True, embed_dims={EMBED_DIMS},
                                     num_layers={NUM_LAYERS}, num_heads={NUM_HEADS}),
                           img_size={IMG}, patch_size={PATCH}),
             head=dict(in_channels={EMBED_DIMS}))
test_dataloader = dict(batch_size=10, num_workers=0, persistent_workers=False,
                       dataset=dict(_delete_=True, type='RandomImageDataset',
                                    class_counts={test_counts}, img_size={IMG}, seed=1,
                                    pipeline=[dict(type='PackInputs')]))
''')
    return str(path)

