"""check_teacher: collapse and near-chance limits against hand-computed cases."""
import numpy as np
import pytest

from deitlt_mm.evaluation.teacher_check import check_teacher

# 10 classes, 2 test images each (balanced): fair share 10 %, collapse limit
# 10 + 0.5 * 90 = 55 %; chance 10 %, accuracy limit 10 + 0.1 * 90 = 19 %.
LABELS = np.repeat(np.arange(10), 2)


def test_collapsed_teacher():
    check = check_teacher(np.full(20, 7), LABELS, 10)
    assert check['degenerate']
    assert (check['top_class'], check['top_class_share']) == (7, 100.0)
    assert check['max_top_class_share'] == pytest.approx(55.0)
    # Right on class 7 only: per-class accuracies 0 ... 100 ... 0 -> mean 10 %.
    assert check['mean_class_accuracy'] == pytest.approx(10.0)
    assert check['min_mean_class_accuracy'] == pytest.approx(19.0)
    assert 'class 7 takes 100.0 % of its predictions (limit 55.0 %' in check['message']
    assert 'mean per-class accuracy is 10.0 %, near chance 10.0 % (limit 19.0 %' \
        in check['message']


def test_healthy_teacher():
    predictions = LABELS.copy()
    predictions[[1, 3, 5]] = 9  # 3 errors, all into class 9
    check = check_teacher(predictions, LABELS, 10)
    assert not check['degenerate'] and check['message'] == ''
    assert (check['top_class'], check['top_class_share']) == (9, 25.0)  # 5 of 20
    assert check['mean_class_accuracy'] == pytest.approx(85.0)  # 3 classes at 50 %


def test_each_limit_alone():
    # 12 of 20 predictions (60 % > 55 %) on class 0 while 11 are right: collapse only.
    predictions = LABELS.copy()
    predictions[2:12] = 0  # classes 1-5 each lose both images to class 0
    check = check_teacher(predictions, LABELS, 10)
    assert check['top_class_share'] == 60.0
    assert check['mean_class_accuracy'] == pytest.approx(50.0)
    assert check['degenerate'] and 'takes 60.0 %' in check['message']
    assert 'near chance' not in check['message']
    # Spread evenly but mostly wrong: 3 of 20 right, classes 0-2 at 50 % -> mean 15 %.
    shifted = (LABELS + 1) % 10
    shifted[[0, 2, 4]] = LABELS[[0, 2, 4]]
    check = check_teacher(shifted, LABELS, 10)
    assert check['top_class_share'] == 15.0
    assert check['mean_class_accuracy'] == pytest.approx(15.0)
    assert check['degenerate'] and 'near chance' in check['message']
    assert 'takes' not in check['message']


def test_fair_share_follows_an_imbalanced_test_set():
    # 3 classes, labels 6 / 2 / 2: fair share 60 %, limit 60 + 0.5 * 40 = 80 %. A teacher
    # that predicts class 0 for 7 of 10 images (70 %) is not collapsed on this set.
    labels = np.array([0] * 6 + [1, 1, 2, 2])
    predictions = np.array([0] * 6 + [1, 1, 2, 0])
    check = check_teacher(predictions, labels, 3)
    assert check['max_top_class_share'] == pytest.approx(80.0)
    assert check['top_class_share'] == 70.0
    # Per class 100 / 100 / 50 % -> mean 83.3 %; chance 33.3 %, limit 40 %.
    assert check['mean_class_accuracy'] == pytest.approx(250 / 3)
    assert check['min_mean_class_accuracy'] == pytest.approx(40.0)
    assert not check['degenerate']
