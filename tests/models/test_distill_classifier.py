"""DistillClassifier: frozen teacher, same mixed batch, device moves, checkpoint content."""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from deitlt_mm.registry import MODELS

NUM_CLASSES = 4
STUDENT = dict(type='DistilledVisionTransformer',
               arch=dict(embed_dims=32, num_layers=1, num_heads=2), img_size=32, patch_size=8)
RESNET_TEACHER = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNetCifarOptionA', depth=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=64))


def student_cfg(distillation_type='hard', teacher=RESNET_TEACHER, teacher_size=16,
                augments=(dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)),
                **kwargs):
    return dict(
        type='DistillClassifier',
        backbone=STUDENT,
        head=dict(type='DualHead', num_classes=NUM_CLASSES, in_channels=32,
                  loss=dict(type='DRWDistillLoss', distillation_type=distillation_type)),
        teacher=teacher,
        teacher_size=teacher_size,
        data_preprocessor=dict(
            type='ClsDataPreprocessor', num_classes=NUM_CLASSES,
            mean=[127.5] * 3, std=[57.0] * 3,
            batch_augments=dict(augments=list(augments)) if augments else None),
        **kwargs)


def make_batch(size=32, batch=4):
    return dict(inputs=torch.randint(0, 256, (batch, 3, size, size), dtype=torch.uint8),
                data_samples=[DataSample().set_gt_label(i % NUM_CLASSES) for i in range(batch)])


def teacher_snapshot(model):
    return {k: v.clone() for k, v in model.teacher.state_dict().items()}


def test_teacher_frozen_and_absent_from_student_state():
    model = MODELS.build(student_cfg())
    model.train()
    before = teacher_snapshot(model)
    optim = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9))
    teacher_param_ids = {id(p) for p in model.teacher.parameters()}
    assert not teacher_param_ids & {id(p) for p in model.parameters()}
    student_before = copy.deepcopy(model.backbone.state_dict())
    for _ in range(3):
        losses = model.train_step(make_batch(), optim)
        assert set(losses) >= {'loss', 'loss_cls', 'loss_dist'}
    assert not model.teacher.training
    assert all(not p.requires_grad for p in model.teacher.parameters())
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key  # weights and BN running stats
    assert not torch.equal(student_before['pos_embed'], model.backbone.pos_embed)
    state = model.state_dict()
    assert not any(key.startswith('teacher') for key in state)
    # A fresh student (teacher included) loads the student's checkpoint strictly.
    MODELS.build(student_cfg()).load_state_dict(state, strict=True)


def test_teacher_sees_the_mixed_batch_resized_bicubic():
    np.random.seed(0)
    model = MODELS.build(student_cfg(augments=(dict(type='Mixup', alpha=0.8), )))
    model.train()
    seen = {}
    model.backbone.register_forward_pre_hook(
        lambda module, args: seen.__setitem__('student', args[0].clone()))
    model.teacher.register_forward_pre_hook(
        lambda module, args: seen.__setitem__('teacher', args[0].clone()))
    batch = make_batch()
    plain = model.data_preprocessor(copy.deepcopy(batch), training=False)['inputs']
    model.train_step(batch, OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert not torch.allclose(seen['student'], plain)  # the batch was mixed
    assert seen['teacher'].shape == (4, 3, 16, 16)
    expected = F.interpolate(seen['student'], size=(16, 16), mode='bicubic',
                             align_corners=False)
    assert torch.equal(seen['teacher'], expected)


def test_no_resize_when_teacher_size_matches():
    model = MODELS.build(student_cfg(teacher_size=32))
    inputs = torch.randn(2, 3, 32, 32)
    model.teacher.eval()
    with torch.no_grad():
        assert torch.equal(model.teacher_logits(inputs), model.teacher(inputs, mode='tensor'))


def test_teacher_moves_with_the_model():
    model = MODELS.build(student_cfg())
    model.to(torch.float64)
    assert all(p.dtype == torch.float64 for p in model.teacher.parameters())
    assert model.teacher.backbone.bn1.running_mean.dtype == torch.float64
    model.train()
    assert not model.teacher.training


def test_timm_teacher():
    teacher = dict(type='TimmClassifier', model_name='test_resnet', pretrained=False,
                   num_classes=NUM_CLASSES)
    model = MODELS.build(student_cfg(teacher=teacher, teacher_size=32))
    losses = model.train_step(make_batch(),
                              OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert torch.isfinite(losses['loss_dist'])
    assert not model.teacher.training


def test_none_mode_without_teacher():
    model = MODELS.build(student_cfg(distillation_type='none', teacher=None))
    assert model.teacher is None
    losses = model.train_step(make_batch(),
                              OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1)))
    assert torch.isfinite(losses['loss_cls']) and torch.isfinite(losses['loss_dist'])
    model.eval()
    samples = model.val_step(make_batch())
    assert samples[0].pred_score_cls.shape == (NUM_CLASSES, )


def test_hard_mode_needs_a_teacher():
    with pytest.raises(ValueError, match='needs a teacher'):
        MODELS.build(student_cfg(distillation_type='hard', teacher=None))


def test_missing_teacher_checkpoint_is_named(tmp_path):
    missing = tmp_path / 'teacher_missing.pth.tar'
    with pytest.raises(FileNotFoundError, match='teacher_missing.pth.tar'):
        MODELS.build(student_cfg(teacher_checkpoint=str(missing)))


def test_teacher_checkpoint_in_own_keys(tmp_path):
    teacher = MODELS.build(RESNET_TEACHER)
    path = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict()}, path)
    model = MODELS.build(student_cfg(teacher_checkpoint=str(path)))
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value)


def count_teacher_calls(model):
    calls = []
    model.teacher.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape))
    return calls


def sam_wrapper(model):
    from deitlt_mm.registry import OPTIM_WRAPPERS
    return OPTIM_WRAPPERS.build(dict(type='SAMOptimWrapper', rho=0.5,
                                     optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))


def test_sam_step_runs_the_teacher_once_with_unchanged_losses(monkeypatch):
    # Without the cache (every forward asks the teacher) and with it, from the same
    # weights and random state: the same losses and the same weights after two SAM steps.
    results = {}
    for cached in (False, True):
        torch.manual_seed(0)
        np.random.seed(0)
        model = MODELS.build(student_cfg())
        model.train()
        if not cached:
            monkeypatch.setattr(model, '_teacher_logits_once', model.teacher_logits)
        calls, wrapper, losses = count_teacher_calls(model), sam_wrapper(model), []
        for _ in range(2):
            losses.append(model.train_step(make_batch(), wrapper))
        results[cached] = (len(calls), losses, dict(model.named_parameters()))
    assert results[False][0] == 4  # two passes per SAM step
    assert results[True][0] == 2  # one
    for plain, once in zip(results[False][1], results[True][1]):
        assert plain.keys() == once.keys()
        for key in plain:
            assert torch.equal(plain[key], once[key]), key
    for name, param in results[True][2].items():
        assert torch.equal(param, results[False][2][name]), name


def test_teacher_cache_only_serves_the_same_unchanged_batch():
    model = MODELS.build(student_cfg())
    calls = count_teacher_calls(model)
    inputs = torch.randn(2, 3, 32, 32)
    first = model._teacher_logits_once(inputs)
    assert model._teacher_logits_once(inputs) is first and len(calls) == 1
    model._teacher_logits_once(inputs.clone())  # another tensor, same values
    assert len(calls) == 2
    model._teacher_logits_once(inputs)  # the cache holds the last batch only
    assert len(calls) == 3
    inputs.mul_(2.0)  # changed in place
    changed = model._teacher_logits_once(inputs)
    assert len(calls) == 4 and not torch.equal(changed, first)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        model._teacher_logits_once(inputs)
    assert len(calls) == 5
