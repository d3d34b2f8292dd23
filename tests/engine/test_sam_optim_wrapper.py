"""SAMOptimWrapper: one step equals a hand-written SAM / ASAM step; BN, clipping, errors."""
import contextlib
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

from deitlt_mm.registry import MODELS, OPTIM_WRAPPERS

LR, WD, RHO = 0.1, 1e-3, 0.5


class TinyConvNet(BaseModel):
    """Conv -> BN -> ReLU -> pool -> linear; ``mode='loss'`` returns ``dict(loss=CE)``."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 3)

    def logits(self, inputs):
        feats = F.relu(self.bn(self.conv(inputs)))
        return self.fc(feats.mean(dim=(2, 3)))

    def forward(self, inputs, labels=None, mode='tensor'):
        logits = self.logits(inputs)
        return dict(loss=F.cross_entropy(logits, labels)) if mode == 'loss' else logits


def batch():
    generator = torch.Generator().manual_seed(1)
    return dict(inputs=torch.randn(6, 3, 5, 5, generator=generator),
                labels=torch.tensor([0, 1, 2, 0, 1, 2]))


def build_wrapper(model, **kwargs):
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=WD)
    return OPTIM_WRAPPERS.build(dict(type='SAMOptimWrapper', optimizer=optimizer, **kwargs))


def hand_written_sam_step(model, data, rho, adaptive, max_norm=None,
                          forward_context=contextlib.nullcontext):
    """Parameters after one SAM / ASAM step, computed from the formulas alone.

    Each forward runs in a fresh ``forward_context()`` (autocast caches weight
    casts per region, so one region around both passes would reuse stale casts).
    """
    model = copy.deepcopy(model)
    params = list(model.parameters())
    with forward_context():
        loss = F.cross_entropy(model.logits(data['inputs']), data['labels'])
    grads = torch.autograd.grad(loss, params)
    with torch.no_grad():
        if adaptive:
            norm = torch.sqrt(sum(((p.abs() * g)**2).sum() for p, g in zip(params, grads)))
            steps = [rho * p * p * g / (norm + 1e-12) for p, g in zip(params, grads)]
        else:
            norm = torch.sqrt(sum((g**2).sum() for g in grads))
            steps = [rho * g / (norm + 1e-12) for g in grads]
        originals = [p.clone() for p in params]
        for p, e in zip(params, steps):
            p += e
    with forward_context():
        loss = F.cross_entropy(model.logits(data['inputs']), data['labels'])
    grads = torch.autograd.grad(loss, params)
    if max_norm is not None:
        total = torch.sqrt(sum((g**2).sum() for g in grads))
        grads = [g * min(1.0, max_norm / (float(total) + 1e-6)) for g in grads]
    # First SGD step: the momentum buffer is the decayed gradient itself.
    return [w - LR * (g + WD * w) for w, g in zip(originals, grads)]


@pytest.mark.parametrize('adaptive,max_norm', [(False, None), (True, None), (False, 0.05)])
def test_one_step_equals_hand_written_sam(adaptive, max_norm):
    model = TinyConvNet()
    data = batch()
    expected = hand_written_sam_step(model, data, RHO, adaptive, max_norm)
    clip = None if max_norm is None else dict(max_norm=max_norm)
    wrapper = build_wrapper(model, rho=RHO, adaptive=adaptive, clip_grad=clip)
    model.train_step(data, wrapper)
    for param, want in zip(model.parameters(), expected):
        torch.testing.assert_close(param.detach(), want, rtol=0, atol=1e-6)
    assert wrapper.inner_count == 1
    assert all(param.grad is None for param in model.parameters())


def test_step_differs_from_plain_sgd():
    # Guards the test above against a wrapper that ignores rho.
    model, data = TinyConvNet(), batch()
    plain = copy.deepcopy(model)
    plain_wrapper = OPTIM_WRAPPERS.build(dict(
        type='OptimWrapper',
        optimizer=torch.optim.SGD(plain.parameters(), lr=LR, momentum=0.9, weight_decay=WD)))
    plain.train_step(data, plain_wrapper)
    model.train_step(data, build_wrapper(model, rho=RHO))
    assert (model.fc.weight - plain.fc.weight).abs().max() > 1e-4


def test_batch_norm_stats_come_from_the_first_pass_only():
    model, data = TinyConvNet(), batch()
    reference = copy.deepcopy(model).train()
    with torch.no_grad():
        reference.logits(data['inputs'])
    model.train_step(data, build_wrapper(model, rho=RHO))
    for name, buffer in reference.bn.named_buffers():
        torch.testing.assert_close(getattr(model.bn, name), buffer, rtol=0, atol=0)


def test_refuses_gradient_accumulation():
    with pytest.raises(ValueError, match='accumulative_counts must be 1, got 2'):
        build_wrapper(TinyConvNet(), accumulative_counts=2)


@pytest.mark.parametrize('rho', [-0.1, 'big'])
def test_rejects_bad_rho(rho):
    with pytest.raises(ValueError, match='rho must be a non-negative number'):
        build_wrapper(TinyConvNet(), rho=rho)


def test_update_params_without_recorded_forward_is_an_error():
    model, data = TinyConvNet(), batch()
    wrapper = build_wrapper(model)
    loss = model(**data, mode='loss')['loss']
    with pytest.raises(RuntimeError, match='optim_context'):
        wrapper.update_params(loss)


def test_ascent_ignores_the_loss_scale_and_skips_non_finite_gradients():
    # Under AMP the first gradient is the loss-scaled one; e must not depend on it.
    for adaptive in (False, True):
        model = TinyConvNet()
        wrapper = build_wrapper(model, rho=RHO, adaptive=adaptive)
        params = list(model.parameters())
        for index, param in enumerate(params):
            param.grad = torch.full_like(param, 0.01 * (index + 1)) - param
        unscaled = wrapper._perturbations(params)
        for param in params:
            param.grad *= 1024.0
        for scaled, plain in zip(wrapper._perturbations(params), unscaled):
            torch.testing.assert_close(scaled, plain, rtol=1e-6, atol=0)
        params[0].grad[0] = float('inf')
        assert wrapper._perturbations(params) is None


class AutocastRecordingNet(TinyConvNet):
    """Records the CPU autocast dtype of every forward (None outside autocast)."""

    def __init__(self):
        super().__init__()
        self.autocast_dtypes = []

    def forward(self, inputs, labels=None, mode='tensor'):
        enabled = torch.is_autocast_enabled('cpu')
        self.autocast_dtypes.append(torch.get_autocast_dtype('cpu') if enabled else None)
        return super().forward(inputs, labels, mode)


def test_sam_amp_wrapper_runs_both_passes_under_autocast(monkeypatch):
    # CPU bf16: no loss scaling, so the step equals the hand-written one under autocast.
    # Where the CPU has no bf16 instructions torch emulates them; the detection is
    # pretended here so this composition test runs on every CPU.
    from deitlt_mm.engine.optimizers import mixed_precision
    monkeypatch.setattr(mixed_precision, 'cpu_bf16_instructions', lambda: ['AVX512-BF16'])
    model, data = AutocastRecordingNet(), batch()
    expected = hand_written_sam_step(
        model, data, RHO, adaptive=False,
        forward_context=lambda: torch.autocast('cpu', dtype=torch.bfloat16))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=WD)
    wrapper = OPTIM_WRAPPERS.build(dict(type='SAMAmpOptimWrapper', rho=RHO, optimizer=optimizer))
    assert wrapper.cast_dtype == torch.bfloat16 and not wrapper.loss_scaler.is_enabled()
    model.autocast_dtypes.clear()
    model.train_step(data, wrapper)
    assert model.autocast_dtypes == [torch.bfloat16, torch.bfloat16]
    for param, want in zip(model.parameters(), expected):
        torch.testing.assert_close(param.detach(), want, rtol=0, atol=1e-6)
    assert wrapper.inner_count == 1


@pytest.mark.parametrize('model_cfg', [
    dict(type='ImageClassifier', backbone=dict(type='ResNetCifarOptionA', depth=8),
         neck=dict(type='GlobalAveragePooling'),
         head=dict(type='LinearClsHead', num_classes=3, in_channels=64)),
    dict(type='TimmClassifier', model_name='test_efficientnet', num_classes=3,
         pretrained=False),
], ids=['ImageClassifier', 'TimmClassifier'])
def test_mmpretrain_classifiers_train_unchanged(model_cfg):
    # As under the Runner: TimmClassifier builds its preprocessor in the default scope.
    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        model = MODELS.build(dict(model_cfg, data_preprocessor=dict(
            type='ClsDataPreprocessor', num_classes=3)))
    generator = torch.Generator().manual_seed(0)
    data = dict(inputs=torch.rand(4, 3, 16, 16, generator=generator) * 255,
                data_samples=[DataSample().set_gt_label(y) for y in (0, 1, 2, 0)])
    plain, reference = copy.deepcopy(model), copy.deepcopy(model)
    with torch.no_grad():
        reference(**reference.data_preprocessor(data, True), mode='tensor')
    plain.train_step(data, OPTIM_WRAPPERS.build(dict(
        type='OptimWrapper', optimizer=torch.optim.SGD(plain.parameters(), lr=LR))))
    model.train_step(data, OPTIM_WRAPPERS.build(dict(
        type='SAMOptimWrapper', rho=RHO, optimizer=torch.optim.SGD(model.parameters(),
                                                                   lr=LR))))
    # BN statistics of the first pass only; the weights took a (different) SAM step.
    for (name, buffer), want in zip(model.named_buffers(), reference.buffers()):
        torch.testing.assert_close(buffer, want, rtol=0, atol=0, msg=name)
    moved = [(p - q).abs().max() for p, q in zip(model.parameters(), plain.parameters())]
    assert max(moved) > 1e-5


class FirstPassOverflowNet(AutocastRecordingNet):
    """The first forward of every step overflows (inf inputs); the SAM replay would not."""

    def forward(self, inputs, labels=None, mode='tensor'):
        if len(self.autocast_dtypes) % 2 == 0:
            inputs = inputs * float('inf')
        return super().forward(inputs, labels, mode)


def test_sam_fp16_first_pass_overflow_skips_the_step_and_lowers_the_scale(monkeypatch):
    # float16 with loss scaling, run on CPU (torch has a CPU GradScaler). An overflow in
    # the first pass must lower the scale even when the second pass would be finite.
    from deitlt_mm.engine.optimizers import mixed_precision_optim_wrapper
    monkeypatch.setattr(mixed_precision_optim_wrapper, 'resolve_autocast_dtype',
                        lambda device_type, dtype, device: torch.float16)
    model = FirstPassOverflowNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=WD)
    wrapper = OPTIM_WRAPPERS.build(dict(type='SAMAmpOptimWrapper', rho=RHO,
                                        loss_scale=dict(init_scale=2.0**10),
                                        optimizer=optimizer))
    assert wrapper.loss_scaler.is_enabled()
    before = [param.detach().clone() for param in model.parameters()]
    model.train_step(batch(), wrapper)
    assert model.autocast_dtypes == [torch.float16]  # no second pass
    assert wrapper.loss_scaler.get_scale() == 2.0**9
    for param, old in zip(model.parameters(), before):
        torch.testing.assert_close(param.detach(), old, rtol=0, atol=0)
        assert param.grad is None or not param.grad.any()
    assert wrapper.inner_count == 1
