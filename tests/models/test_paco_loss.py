"""PaCoLoss against PaCo's formula written out independently (numpy, one anchor at a time)."""
import math

import numpy as np
import pytest
import torch

from deitlt_mm.registry import MODELS

COUNTS = [40, 12, 5, 0]  # an empty class: its prior is log(1e-9)


def reference_paco_loss(features, labels, cls_score, counts, alpha, beta=1.0, gamma=1.0,
                        supt=1.0, temperature=1.0, base_temperature=None, exclude_self=True):
    """PaCo's loss (PaCo/LT/losses.py), a loop over anchors and columns.

    Columns of anchor i: C class columns (logit + log prior) / supt, then one column
    per contrast feature j, <f_i, f_j> / temperature. Self (j = i) is left out of the
    denominator and of the positives; positives are the true class (weight beta) and
    every other sample with the same label (weight alpha). ``exclude_self=False`` is
    the wrong variant that keeps self, to show the tests can tell.
    """
    features = np.asarray(features, np.float64)
    cls_score = np.asarray(cls_score, np.float64)
    labels = list(labels)
    counts = np.asarray(counts, np.float64)
    prior = counts / counts.sum()
    batch, num_classes = cls_score.shape
    base_temperature = temperature if base_temperature is None else base_temperature
    total = 0.0
    for i in range(batch):
        z = [(cls_score[i, c] + math.log(prior[c] + 1e-9)) / supt for c in range(num_classes)]
        z += [float(features[i] @ features[j]) / temperature for j in range(len(features))]
        top = max(z)
        denominator, positive = [], []
        for c in range(num_classes):
            denominator.append(1.0)
            positive.append(beta if c == labels[i] else 0.0)
        for j in range(len(features)):
            is_self = exclude_self and j == i
            denominator.append(0.0 if is_self else gamma)
            positive.append(alpha if not is_self and labels[j] == labels[i] else 0.0)
        log_norm = math.log(sum(d * math.exp(v - top) for d, v in zip(denominator, z)) + 1e-12)
        log_prob = [v - top - log_norm for v in z]
        total += sum(p * lp for p, lp in zip(positive, log_prob)) / sum(positive)
    return -(temperature / base_temperature) * total / batch


def paco_batch(batch=3, queue=5, dim=6, seed=0):
    """[q; k; queue] features (unit rows) and labels with every kind of positive.

    Anchor 0 (class 1) has its other view and two queue entries of class 1; anchor 2
    (class 0) shares its class with anchor 1; class 3 appears only in the queue.
    """
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(2 * batch + queue, dim))
    features = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    anchor_labels = [1, 0, 0]
    labels = anchor_labels + anchor_labels + [1, 3, 1, 2, 0]
    cls_score = rng.normal(scale=2.0, size=(batch, len(COUNTS)))
    return features, np.array(labels), cls_score


def build_loss(**kwargs):
    loss = MODELS.build(dict(type='PaCoLoss', **kwargs))
    loss.set_class_counts(COUNTS)
    return loss


def as_tensors(features, labels, cls_score, dtype=torch.float64):
    return (torch.tensor(features, dtype=dtype), torch.tensor(labels),
            torch.tensor(cls_score, dtype=dtype))


@pytest.mark.parametrize('params', [
    dict(alpha=0.01, temperature=0.05),  # PaCo's CIFAR recipe
    dict(alpha=0.05, temperature=0.2),  # PaCo's ImageNet-LT / iNat recipe
    dict(alpha=0.3, beta=0.7, gamma=0.4, supt=1.5, temperature=0.5, base_temperature=0.2),
])
def test_loss_equals_the_reference_formula(params):
    features, labels, cls_score = paco_batch()
    expected = reference_paco_loss(features, labels, cls_score, COUNTS, **params)
    value = build_loss(**params)(*as_tensors(features, labels, cls_score))
    assert value.dtype == torch.float64
    assert value.item() == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_float32_inputs_match_in_float32():
    features, labels, cls_score = paco_batch(seed=1)
    params = dict(alpha=0.05, temperature=0.2)
    expected = reference_paco_loss(features, labels, cls_score, COUNTS, **params)
    value = build_loss(**params)(*as_tensors(features, labels, cls_score, torch.float32))
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_without_sample_columns_it_is_the_logit_adjusted_cross_entropy():
    # alpha = gamma = 0: only the class columns count, so PaCo is cross entropy of
    # (logits + log prior) / supt, the balanced softmax, scaled by T / T_base.
    features, labels, cls_score = paco_batch()
    loss = build_loss(alpha=0.0, gamma=0.0, supt=2.0, temperature=0.5, base_temperature=0.25)
    prior = torch.tensor(COUNTS, dtype=torch.float64) / sum(COUNTS)
    adjusted = (torch.tensor(cls_score) + torch.log(prior + 1e-9)) / 2
    expected = 2.0 * torch.nn.functional.cross_entropy(adjusted, torch.tensor(labels[:3]))
    value = loss(*as_tensors(features, labels, cls_score))
    # Only PaCo's 1e-12 inside the log of the denominator differs.
    assert value.item() == pytest.approx(expected.item(), rel=1e-10)


def test_masks_self_other_view_and_queue_positives():
    features, labels, cls_score = paco_batch()
    loss = build_loss(alpha=1.0, temperature=0.1)
    base = loss(*as_tensors(features, labels, cls_score)).item()

    def relabelled(index, label):
        new = labels.copy()
        new[index] = label
        return loss(*as_tensors(features, new, cls_score)).item()

    # The other view k_0 (row 3) and a class-1 queue entry (row 8) are anchor 0's
    # positives: taking their class away changes the loss.
    assert relabelled(3, 2) != pytest.approx(base, rel=1e-3)
    assert relabelled(8, 2) != pytest.approx(base, rel=1e-3)
    # A queue entry nobody shares a class with (class 3, row 7) only enters denominators.
    assert relabelled(7, 2) == pytest.approx(base, rel=1e-14)
    # Self is neither a positive nor in the denominator: counting it would change the loss.
    with_self = reference_paco_loss(features, labels, cls_score, COUNTS, alpha=1.0,
                                    temperature=0.1, exclude_self=False)
    assert base == pytest.approx(reference_paco_loss(
        features, labels, cls_score, COUNTS, alpha=1.0, temperature=0.1), rel=1e-12)
    assert base != pytest.approx(with_self, rel=1e-2)


def test_counts_are_required_and_checked():
    features, labels, cls_score = paco_batch()
    loss = MODELS.build(dict(type='PaCoLoss', alpha=0.01))
    with pytest.raises(RuntimeError, match='Keep TrainClassCountsHook in default_hooks'):
        loss(*as_tensors(features, labels, cls_score))
    loss.set_class_counts([1, 2, 3])
    with pytest.raises(RuntimeError, match='3 class counts for 4 logits'):
        loss(*as_tensors(features, labels, cls_score))
    with pytest.raises(ValueError, match='non-negative'):
        loss.set_class_counts([3, -1])
    assert 'class_prior' not in loss.state_dict()


def test_bf16_autocast_keeps_the_similarities_in_float32():
    # Under autocast the matmul of the sample columns would run in bf16 (an 8-bit
    # mantissa, then divided by temperature 0.05); the loss turns autocast off.
    rng = np.random.default_rng(2)
    rows = rng.normal(size=(96, 32))
    features = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    labels = rng.integers(0, len(COUNTS), size=96)
    cls_score = rng.normal(scale=2.0, size=(16, len(COUNTS)))
    params = dict(alpha=0.01, temperature=0.05)
    loss = build_loss(**params)
    inputs = as_tensors(features, labels, cls_score, torch.float32)
    expected = loss(*inputs)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(*inputs)
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, expected, rtol=1e-6, atol=1e-6)
