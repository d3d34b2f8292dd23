"""LDAMLoss and DRWCrossEntropyLoss: hand-computed margins / losses; counts via
TrainClassCountsHook, DRW via DRWHook."""
import math
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MMLogger
from mmpretrain.structures import DataSample

from deitlt_mm.datasets import RandomImageDataset
from deitlt_mm.registry import HOOKS, MODELS

COUNTS = [100, 10, 1]
LOGITS = [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-0.5, 1.5, 0.0], [1.0, 1.0, 1.0]]
LABELS = [0, 1, 2, 2]


def hand_weights(beta=0.9999):
    raw = [(1 - beta) / (1 - beta**n) for n in COUNTS]
    return [w / sum(raw) * len(COUNTS) for w in raw]


def hand_ce(rows, labels, weights=None):
    """Mean (or F.cross_entropy-style weighted mean) of -log softmax(row)[label]."""
    losses = [math.log(sum(math.exp(v) for v in row)) - row[y] for row, y in zip(rows, labels)]
    if weights is None:
        return sum(losses) / len(losses)
    weighted = sum(weights[y] * loss for y, loss in zip(labels, losses))
    return weighted / sum(weights[y] for y in labels)


def hand_ldam_rows(max_margin=0.5, scale=30.0):
    roots = [n**-0.25 for n in COUNTS]
    margins = [max_margin * r / max(roots) for r in roots]
    rows = [[scale * (v - (margins[y] if c == y else 0.0)) for c, v in enumerate(row)]
            for row, y in zip(LOGITS, LABELS)]
    return margins, rows


def ldam():
    loss = MODELS.build(dict(type='LDAMLoss'))
    loss.set_class_counts(COUNTS)
    return loss


def test_ldam_margins_and_loss_equal_hand_computation():
    loss = ldam()
    margins, rows = hand_ldam_rows()
    assert margins[2] == 0.5
    torch.testing.assert_close(loss.margins, torch.tensor(margins), rtol=0, atol=1e-7)
    logits, labels = torch.tensor(LOGITS), torch.tensor(LABELS)
    value = loss(logits, labels)
    assert value.item() == pytest.approx(hand_ce(rows, LABELS), abs=1e-5)
    loss.drw_active = True
    assert loss(logits, labels).item() == pytest.approx(
        hand_ce(rows, LABELS, hand_weights()), abs=1e-5)


def test_drw_cross_entropy_equals_hand_computation():
    loss = MODELS.build(dict(type='DRWCrossEntropyLoss'))
    loss.set_class_counts(COUNTS)
    logits, labels = torch.tensor(LOGITS), torch.tensor(LABELS)
    assert loss(logits, labels).item() == pytest.approx(hand_ce(LOGITS, LABELS), abs=1e-6)
    loss.drw_active = True
    assert loss(logits, labels).item() == pytest.approx(
        hand_ce(LOGITS, LABELS, hand_weights()), abs=1e-6)


@pytest.mark.parametrize('loss_type', ['LDAMLoss', 'DRWCrossEntropyLoss'])
def test_drw_hook_switches_the_teacher_loss_in_a_linear_cls_head(loss_type):
    model = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNetCifarOptionA', depth=8),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64,
                  loss=dict(type=loss_type)),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=3)))
    dataset = RandomImageDataset(class_counts=COUNTS, img_size=4)
    runner = SimpleNamespace(model=model, epoch=0, logger=MMLogger.get_current_instance(),
                             train_dataloader=SimpleNamespace(dataset=dataset))
    HOOKS.build(dict(type='TrainClassCountsHook')).before_train(runner)
    hook = HOOKS.build(dict(type='DRWHook', drw=2))
    hook.before_train(runner)
    inputs = torch.randn(4, 3, 8, 8)
    samples = [DataSample().set_gt_label(y) for y in LABELS]
    loss_module = model.head.loss_module
    values = {}
    for epoch in range(4):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        assert loss_module.drw_active is (epoch >= 2)
        values[epoch] = model.loss(inputs, samples)['loss'].item()
    assert values[0] == values[1] and values[2] == values[3]
    assert values[1] != pytest.approx(values[2])


def test_ldam_without_counts_names_the_counts_hook():
    loss = MODELS.build(dict(type='LDAMLoss'))
    with pytest.raises(RuntimeError, match='Keep TrainClassCountsHook in default_hooks'):
        loss(torch.tensor(LOGITS), torch.tensor(LABELS))


def test_drw_active_without_counts_is_an_error():
    loss = MODELS.build(dict(type='DRWCrossEntropyLoss'))
    loss.drw_active = True
    with pytest.raises(RuntimeError, match='no class counts were set'):
        loss(torch.tensor(LOGITS), torch.tensor(LABELS))


@pytest.mark.parametrize('loss_type', ['LDAMLoss', 'DRWCrossEntropyLoss'])
def test_soft_targets_and_wrong_class_count_are_refused(loss_type):
    loss = MODELS.build(dict(type=loss_type))
    loss.set_class_counts(COUNTS)
    with pytest.raises(ValueError, match='soft Mixup/CutMix targets are not supported'):
        loss(torch.tensor(LOGITS), torch.softmax(torch.tensor(LOGITS), dim=1))
    with pytest.raises(ValueError, match='3 class counts for 2 logits'):
        loss(torch.zeros(4, 2), torch.tensor([0, 1, 1, 0]))


@pytest.mark.parametrize('cfg,message', [
    (dict(max_margin=0.0), 'max_margin must be > 0, got 0.0'),
    (dict(scale=-1.0), 'scale must be > 0, got -1.0'),
    (dict(beta=1.0), r'beta must be in \[0, 1\), got 1.0'),
])
def test_ldam_rejects_bad_arguments(cfg, message):
    with pytest.raises(ValueError, match=message):
        MODELS.build(dict(type='LDAMLoss', **cfg))


@pytest.mark.parametrize('drw_active', [False, True])
def test_ldam_under_bf16_autocast_computes_in_float32(drw_active):
    # bf16 logits (what a linear head gives under autocast) and the same values in
    # float32 must give the same loss: the margin and the x30 scale are applied in float32.
    loss = ldam()
    loss.drw_active = drw_active
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(64, 3, generator=generator) * 3).bfloat16().requires_grad_()
    labels = torch.randint(0, 3, (64,), generator=generator)
    expected = loss(logits.detach().float(), labels)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(logits, labels)
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, expected, rtol=1e-6, atol=1e-6)
    value.backward()
    assert logits.grad.dtype == torch.bfloat16 and bool(logits.grad.isfinite().all())
