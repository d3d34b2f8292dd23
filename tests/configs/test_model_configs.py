"""The model configs under configs/_base_/models build the intended models."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from deitlt_mm.registry import MODELS

MODEL_CONFIGS = Path(__file__).resolve().parents[2] / 'configs' / '_base_' / 'models'


def load_model(name):
    return Config.fromfile(str(MODEL_CONFIGS / name)).model


def test_deitlt_base_with_resnet32_teacher():
    cfg = load_model('deitlt_base_patch16_224.py')
    cfg.teacher = load_model('resnet32_cifar.py')
    cfg.teacher_size = 32
    cfg.head.num_classes = 100
    cfg.data_preprocessor = dict(num_classes=100)  # the dataset config's, in a run
    model = MODELS.build(cfg)
    backbone = model.backbone
    assert backbone.pos_embed.shape == (1, 14 * 14 + 2, 768)
    assert len(backbone.blocks) == 12 and backbone.blocks[0].attn.num_heads == 12
    assert backbone.blocks[-1].drop_path1.drop_prob == pytest.approx(0.1)
    loss = model.head.loss_module
    assert (loss.distillation_type, loss.alpha, loss.beta) == ('hard', 0.5, 0.9999)
    # model.train_cfg.augments reach the data preprocessor (mmpretrain's ImageClassifier).
    augments = model.data_preprocessor.batch_augments
    assert [type(a).__name__ for a in augments.augments] == ['InPlaceMixup', 'CutMix']
    assert [a.alpha for a in augments.augments] == [0.8, 1.0]
    assert augments.probs is None  # uniform choice: Mixup or CutMix with probability 0.5
    # DeiT-B distilled: 85.8M parameters + two 100-way heads; the teacher is not counted.
    assert sum(p.numel() for p in model.parameters()) == 85_953_992
    # ResNet32 for CIFAR: 464,154 parameters with 10 classes, + 90 * 65 for 100 classes.
    assert sum(p.numel() for p in model.teacher.parameters()) == 464_154 + 90 * 65
    with torch.no_grad():
        logits = model.teacher_logits(torch.randn(1, 3, 224, 224))
    assert logits.shape == (1, 100)


def test_tiny_student_needs_a_teacher_for_hard_distillation():
    cfg = load_model('deit_tiny_patch4_32.py')
    with pytest.raises(ValueError, match='needs a teacher'):
        MODELS.build(cfg)
    cfg.head.loss.distillation_type = 'none'
    model = MODELS.build(cfg)
    cls_logits, dist_logits = model(torch.randn(2, 3, 32, 32), mode='tensor')
    assert cls_logits.shape == dist_logits.shape == (2, 10)
