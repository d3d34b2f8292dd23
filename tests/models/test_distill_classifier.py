"""DistillClassifier: frozen teacher, same mixed batch, device moves, checkpoint content."""
import copy
import logging

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from deitlt_mm.datasets.class_map import build_class_map, save_class_map
from deitlt_mm.models.losses import DRWDistillLoss
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


# mmpretrain's ResNet, as the ImageNet-LT / iNat ResNet-50 teacher, 8 channels wide.
TORCHVISION_RESNET_TEACHER = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, stem_channels=8, base_channels=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=64))


def test_channels_last_teacher_gives_the_contiguous_logits():
    contiguous = MODELS.build(student_cfg(teacher=TORCHVISION_RESNET_TEACHER, teacher_size=32))
    nhwc = MODELS.build(student_cfg(teacher=TORCHVISION_RESNET_TEACHER, teacher_size=32,
                                    teacher_channels_last=True))
    # load_state_dict copies the contiguous weights in and keeps the NHWC strides.
    nhwc.teacher.load_state_dict(contiguous.teacher.state_dict())
    nhwc.to(torch.float64)  # moves and casts keep them too
    contiguous.to(torch.float64)
    conv = nhwc.teacher.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert contiguous.teacher.backbone.conv1.weight.is_contiguous()
    activations = []
    nhwc.teacher.backbone.layer2.register_forward_hook(
        lambda module, args, output: activations.append(output))
    # Channels-last teacher, contiguous input: converted in teacher_logits.
    inputs = torch.randn(3, 3, 32, 32, dtype=torch.float64)
    expected = contiguous.teacher_logits(inputs)
    logits = nhwc.teacher_logits(inputs)
    assert activations[0].is_contiguous(memory_format=torch.channels_last)
    assert not activations[0].is_contiguous()
    scale = expected.abs().max().item()
    torch.testing.assert_close(logits, expected, rtol=0, atol=1e-4 * scale)
    # Neither checkpoint changes: the student's keys, the teacher's own keys.
    assert nhwc.state_dict().keys() == contiguous.state_dict().keys()
    assert nhwc.teacher.state_dict().keys() == contiguous.teacher.state_dict().keys()


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


# --- Teacher label order (the reference's --map-targets) ---------------------------------
# Training counts by original label; argsort(-counts) with numpy 1.24 ties gives the
# frequency order [1, 2, 0, 3], i.e. class_map {1: 0, 2: 1, 0: 2, 3: 3}.
ORIGINAL_COUNTS = [2, 5, 5, 1]


def original_order_teacher(tmp_path):
    """A ResNet teacher in the *original* label order, its checkpoint and the map file."""
    torch.manual_seed(0)
    teacher = MODELS.build(RESNET_TEACHER).eval()
    teacher.init_weights()
    with torch.no_grad():  # a classifier of centred features: the argmax varies by input
        feats = teacher.extract_feat(torch.randn(64, 3, 16, 16))[-1]
        weight = torch.randn(NUM_CLASSES, feats.size(1)) / feats.std(0)
        teacher.head.fc.weight.copy_(weight)
        teacher.head.fc.bias.copy_(-weight @ feats.mean(0))
    checkpoint = tmp_path / 'teacher_original_order.pth'
    torch.save({'state_dict': teacher.state_dict()}, checkpoint)
    class_map = build_class_map(ORIGINAL_COUNTS)
    map_file = tmp_path / 'class_map.json'
    save_class_map(map_file, class_map, ORIGINAL_COUNTS)
    return teacher.eval(), str(checkpoint), str(map_file), class_map


def reference_map_targets(teacher_logits, class_map):
    """losses.py, `map_targets`: np.array(args.class_map)[argmax], where the
    reference's class_map is a list, class_map[original label] = frequency index."""
    class_map_list = [class_map[original] for original in range(len(class_map))]
    return torch.Tensor(np.array(class_map_list)[teacher_logits.argmax(dim=1)]).long()


def test_original_order_teacher_equals_reference_map_targets(tmp_path):
    teacher, checkpoint, map_file, class_map = original_order_teacher(tmp_path)
    assert class_map == {1: 0, 2: 1, 0: 2, 3: 3}
    model = MODELS.build(student_cfg(teacher_checkpoint=checkpoint,
                                     teacher_label_order='original',
                                     teacher_class_map_file=map_file))
    torch.manual_seed(1)
    inputs = torch.randn(64, 3, 32, 32)
    with torch.no_grad():
        original = teacher(F.interpolate(inputs, size=(16, 16), mode='bicubic',
                                         align_corners=False), mode='tensor')
    mapped = model.teacher_logits(inputs)
    reference = reference_map_targets(original, class_map)
    # The case can fail: the teacher predicts several classes the map moves.
    assert len(set(original.argmax(1).tolist()) - {3}) >= 2
    assert not torch.equal(original.argmax(1), reference)
    # Hard distillation targets = the reference's mapped argmax, batch by batch.
    assert torch.equal(mapped.argmax(1), reference)
    # Soft distillation sees the same logits re-indexed: student class n <- original order[n].
    torch.testing.assert_close(mapped, original[:, [1, 2, 0, 3]], rtol=0, atol=1e-6)
    # The DIST loss equals the reference's CE against the mapped targets.
    loss = DRWDistillLoss(alpha=1.0, distillation_type='hard')
    dist_logits, cls_logits = torch.randn(64, NUM_CLASSES), torch.randn(64, NUM_CLASSES)
    ours = loss(cls_logits, dist_logits, torch.zeros(64, dtype=torch.long), mapped)['loss_dist']
    torch.testing.assert_close(ours, F.cross_entropy(dist_logits, reference))
    # The student's own weights never moved: only the teacher's classifier rows did.
    model_student_order = MODELS.build(student_cfg(teacher_checkpoint=checkpoint))
    torch.testing.assert_close(model_student_order.teacher_logits(inputs), original)


def test_teacher_label_order_settings_are_checked(tmp_path):
    _, checkpoint, map_file, _ = original_order_teacher(tmp_path)
    with pytest.raises(FileNotFoundError, match=r'no_map\.json.*save_class_map\.py'):
        MODELS.build(student_cfg(teacher_checkpoint=checkpoint, teacher_label_order='original',
                                 teacher_class_map_file=str(tmp_path / 'no_map.json')))
    with pytest.raises(ValueError, match='needs teacher_class_map_file'):
        MODELS.build(student_cfg(teacher_label_order='original'))
    with pytest.raises(ValueError, match="teacher_label_order='student' ignores it"):
        MODELS.build(student_cfg(teacher_class_map_file=map_file))
    with pytest.raises(ValueError, match='teacher_label_order must be one of'):
        MODELS.build(student_cfg(teacher_label_order='frequency'))


def test_teacher_or_map_that_does_not_fit_is_refused_at_build(tmp_path):
    _, checkpoint, _, _ = original_order_teacher(tmp_path)
    five_classes = tmp_path / 'map5.json'
    save_class_map(five_classes, build_class_map([3, 1, 4, 1, 5]), [3, 1, 4, 1, 5])
    with pytest.raises(ValueError, match=r'map5\.json: 5 classes, but the teacher predicts 4'):
        MODELS.build(student_cfg(teacher_checkpoint=checkpoint, teacher_label_order='original',
                                 teacher_class_map_file=str(five_classes)))
    six_class_teacher = copy.deepcopy(RESNET_TEACHER)
    six_class_teacher['head']['num_classes'] = 6
    with pytest.raises(ValueError, match='teacher predicts 6 classes, the student head 4'):
        MODELS.build(student_cfg(teacher=six_class_teacher))


def test_predict_reports_the_teacher_in_the_student_order(tmp_path):
    teacher, checkpoint, map_file, class_map = original_order_teacher(tmp_path)
    model = MODELS.build(student_cfg(teacher_checkpoint=checkpoint,
                                     teacher_label_order='original',
                                     teacher_class_map_file=map_file))
    model.eval()
    batch = make_batch(batch=8)
    samples = model.val_step(copy.deepcopy(batch))
    inputs = model.data_preprocessor(batch, training=False)['inputs']
    with torch.no_grad():  # the teacher sees the test batch at teacher_size (16)
        original = teacher(F.interpolate(inputs, size=(16, 16), mode='bicubic',
                                         align_corners=False), mode='tensor')
    scores = torch.stack([sample.pred_score_teacher for sample in samples])
    torch.testing.assert_close(scores, F.softmax(original[:, [1, 2, 0, 3]], dim=1))
    assert samples[0].pred_score_cls.shape == samples[0].pred_score_teacher.shape


def test_a_teacher_without_checkpoint_is_warned_about_at_build(monkeypatch):
    import deitlt_mm.models.classifiers.distill_classifier as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, logger, level: logged.append((level, msg)))
    MODELS.build(student_cfg(teacher_checkpoint=None))
    assert len(logged) == 1 and logged[0][0] == logging.WARNING
    assert 'teacher keeps its random initial weights' in logged[0][1]
    MODELS.build(student_cfg(distillation_type='none', teacher=None))
    assert len(logged) == 1


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
