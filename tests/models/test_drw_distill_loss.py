"""DRWDistillLoss and the effective-number weights against hand-written formulas."""
import math

import pytest
import torch

from deitlt_mm.models.losses import DRWDistillLoss, effective_number_weights

COUNTS = [100, 10, 1]
BETA = 0.9

CLS = [[2.0, 0.5, -1.0], [0.0, 1.0, 0.5]]
DIST = [[1.0, -0.5, 0.0], [0.2, 0.1, 1.5]]
TEACHER = [[0.1, 3.0, 0.0], [0.0, 0.2, 0.9]]   # argmax: 1, 2
LABELS = [0, 2]
SOFT = [[0.7, 0.3, 0.0], [0.0, 0.4, 0.6]]


def log_softmax_row(row):
    m = max(row)
    lse = m + math.log(sum(math.exp(v - m) for v in row))
    return [v - lse for v in row]


def hand_weights(counts, beta):
    raw = [(1 - beta) / (1 - beta ** n) for n in counts]
    return [w / sum(raw) * len(counts) for w in raw]


def hand_ce(logits, labels, weights=None):
    """Weighted-mean CE: sum_i w_{y_i} * (-log p_{i, y_i}) / sum_i w_{y_i}."""
    num, den = 0.0, 0.0
    for row, y in zip(logits, labels):
        w = 1.0 if weights is None else weights[y]
        num += -w * log_softmax_row(row)[y]
        den += w
    return num / den


def hand_soft_ce(logits, targets, eps, weights=None):
    total = 0.0
    for row, t in zip(logits, targets):
        c = len(row)
        lp = log_softmax_row(row)
        for j in range(c):
            w = 1.0 if weights is None else weights[j]
            total += -w * (t[j] * (1 - eps) + eps / c) * lp[j]
    return total / len(logits)


def hand_soft_kd(student, teacher, tau, weights=None):
    """Summed KL with log target q, * tau^2 / (B C); under DRW the reference's
    q = w * log p_t / sum(w * log p_t) (losses.py, `weighted_distillation`)."""
    total = 0.0
    for s, t in zip(student, teacher):
        ls = log_softmax_row([v / tau for v in s])
        lt = log_softmax_row([v / tau for v in t])
        if weights is not None:
            weighted = [w * v for w, v in zip(weights, lt)]
            lt = [v / sum(weighted) for v in weighted]
        total += sum(math.exp(b) * (b - a) for a, b in zip(ls, lt))
    return total * tau * tau / (len(student) * len(student[0]))


def run(loss, target, drw):
    loss.set_class_counts(COUNTS)
    loss.drw_active = drw
    out = loss(torch.tensor(CLS), torch.tensor(DIST), target, torch.tensor(TEACHER))
    return out['loss_cls'].item(), out['loss_dist'].item()


def test_effective_number_weights_formula():
    w = effective_number_weights(COUNTS, BETA)
    assert torch.allclose(w, torch.tensor(hand_weights(COUNTS, BETA)), atol=1e-6)
    assert w.sum().item() == pytest.approx(3.0, abs=1e-6)
    # Rarer classes weigh more.
    assert w[0] < w[1] < w[2]


def test_effective_number_weights_rejects_empty_class():
    with pytest.raises(ValueError, match='> 0'):
        effective_number_weights([5, 0, 1])


@pytest.mark.parametrize('drw', [False, True])
def test_hard_distillation_hard_labels(drw):
    loss = DRWDistillLoss(alpha=0.3, distillation_type='hard', beta=BETA)
    cls, dist = run(loss, torch.tensor(LABELS), drw)
    w = hand_weights(COUNTS, BETA) if drw else None
    assert cls == pytest.approx(0.7 * hand_ce(CLS, LABELS), abs=1e-6)
    assert dist == pytest.approx(0.3 * hand_ce(DIST, [1, 2], w), abs=1e-6)


@pytest.mark.parametrize('drw', [False, True])
def test_hard_distillation_soft_targets_smoothed(drw):
    loss = DRWDistillLoss(alpha=0.5, distillation_type='hard', beta=BETA, label_smoothing=0.1)
    cls, dist = run(loss, torch.tensor(SOFT), drw)
    w = hand_weights(COUNTS, BETA) if drw else None
    assert cls == pytest.approx(0.5 * hand_soft_ce(CLS, SOFT, 0.1), abs=1e-6)
    assert dist == pytest.approx(0.5 * hand_ce(DIST, [1, 2], w), abs=1e-6)


@pytest.mark.parametrize('drw', [False, True])
def test_soft_distillation(drw):
    loss = DRWDistillLoss(alpha=0.5, distillation_type='soft', tau=2.0, beta=BETA)
    cls, dist = run(loss, torch.tensor(LABELS), drw)
    assert cls == pytest.approx(0.5 * hand_ce(CLS, LABELS), abs=1e-6)
    # Under DRW the teacher's log-probabilities are re-weighted and renormalised.
    w = hand_weights(COUNTS, BETA) if drw else None
    assert dist == pytest.approx(0.5 * hand_soft_kd(DIST, TEACHER, 2.0, w), abs=1e-6)


def test_soft_distillation_under_drw_by_hand():
    # One row, tau 1, C 2, weights [1, 3]: teacher logits [0, ln 3] -> p = [1/4, 3/4],
    # l = [-1.38629, -0.28768]; w l = [-1.38629, -0.86305], sum -2.24934,
    # q = [0.61631, 0.38369]; student logits [0, 0] -> log p_s = [-0.69315] * 2;
    # loss = (e^0.61631 * 1.30946 + e^0.38369 * 1.07684) / (B C = 2)
    #      = (1.85220 * 1.30946 + 1.46770 * 1.07684) / 2 = 2.00284.
    loss = DRWDistillLoss(alpha=1.0, distillation_type='soft', tau=1.0, beta=BETA)
    loss.class_weights = torch.tensor([1.0, 3.0])
    loss.drw_active = True
    l0, l1 = math.log(0.25), math.log(0.75)
    q = [l0 / (l0 + 3 * l1), 3 * l1 / (l0 + 3 * l1)]
    assert q == pytest.approx([0.61631, 0.38369], abs=1e-5)
    expected = sum(math.exp(v) * (v - math.log(0.5)) for v in q) / 2
    out = loss(torch.zeros(1, 2), torch.zeros(1, 2), torch.tensor([0]),
               torch.tensor([[0.0, math.log(3.0)]]))
    assert out['loss_dist'].item() == pytest.approx(expected, abs=1e-6)
    assert expected == pytest.approx(2.00284, abs=1e-5)


@pytest.mark.parametrize('drw', [False, True])
def test_none_distillation_uses_labels(drw):
    loss = DRWDistillLoss(alpha=0.5, distillation_type='none', beta=BETA)
    cls, dist = run(loss, torch.tensor(LABELS), drw)
    w = hand_weights(COUNTS, BETA) if drw else None
    assert cls == pytest.approx(0.5 * hand_ce(CLS, LABELS), abs=1e-6)
    assert dist == pytest.approx(0.5 * hand_ce(DIST, LABELS, w), abs=1e-6)
    soft_cls, soft_dist = run(loss, torch.tensor(SOFT), drw)
    assert soft_dist == pytest.approx(0.5 * hand_soft_ce(DIST, SOFT, 0.1, w), abs=1e-6)


def test_weighted_cls_loss_after_drw():
    loss = DRWDistillLoss(alpha=0.5, beta=BETA, weighted_cls_loss=True)
    w = hand_weights(COUNTS, BETA)
    cls, _ = run(loss, torch.tensor(LABELS), drw=True)
    assert cls == pytest.approx(0.5 * hand_ce(CLS, LABELS, w), abs=1e-6)
    cls_before, _ = run(loss, torch.tensor(LABELS), drw=False)
    assert cls_before == pytest.approx(0.5 * hand_ce(CLS, LABELS), abs=1e-6)


def test_weighted_cls_loss_with_mixup_after_drw_stays_unweighted():
    # Mixup kept on under DRW (soft targets): the reference's CLS criterion is
    # SoftTargetCrossEntropy without weights even with --weighted-baseloss; the DIST
    # loss is still weighted.
    loss = DRWDistillLoss(alpha=0.5, beta=BETA, weighted_cls_loss=True)
    w = hand_weights(COUNTS, BETA)
    cls, dist = run(loss, torch.tensor(SOFT), drw=True)
    assert cls == pytest.approx(0.5 * hand_soft_ce(CLS, SOFT, 0.1), abs=1e-6)
    assert cls != pytest.approx(0.5 * hand_soft_ce(CLS, SOFT, 0.1, w), abs=1e-3)
    assert dist == pytest.approx(0.5 * hand_ce(DIST, [1, 2], w), abs=1e-6)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='distillation_type'):
        DRWDistillLoss(distillation_type='kd')
    loss = DRWDistillLoss(distillation_type='hard')
    with pytest.raises(ValueError, match='teacher_logits'):
        loss(torch.tensor(CLS), torch.tensor(DIST), torch.tensor(LABELS))
    loss.drw_active = True
    with pytest.raises(RuntimeError, match='set_class_counts'):
        loss(torch.tensor(CLS), torch.tensor(DIST), torch.tensor(LABELS), torch.tensor(TEACHER))


def test_teacher_class_mismatch_is_named():
    loss = DRWDistillLoss(distillation_type='hard')
    with pytest.raises(ValueError, match=r'teacher_logits of shape \(2, 5\)'):
        loss(torch.tensor(CLS), torch.tensor(DIST), torch.tensor(LABELS), torch.zeros(2, 5))
