"""DIST-teacher agreement per head / mid / tail group, against a hand-computed case."""
import math

import torch

from deitlt_mm.evaluation import LongTailAccuracy
from deitlt_mm.evaluation.report import format_metrics
from deitlt_mm.evaluation.results import LongTailResults

# (true class, DIST top-1, teacher top-1); classes 0 / 1 / 2 are head / mid / tail.
CASE = [(0, 0, 0), (0, 1, 0), (0, 1, 1),
        (1, 1, 2), (1, 2, 2),
        (2, 2, 2)]
# head: DIST = teacher on 2 of 3; DIST wrong on 2, the teacher right on 1 of them.
# mid: agreement 1 of 2; DIST wrong on 1, the teacher wrong there too.
# tail: agreement 1 of 1; DIST never wrong, so no share.
EXPECTED = {
    'head': dict(images=3, dist_wrong=2, dist_agreement=200 / 3,
                 teacher_right_where_dist_wrong=50.0),
    'mid': dict(images=2, dist_wrong=1, dist_agreement=50.0, teacher_right_where_dist_wrong=0.0),
    'tail': dict(images=1, dist_wrong=0, dist_agreement=100.0,
                 teacher_right_where_dist_wrong=math.nan),
}


def one_hot(index, classes=3):
    return torch.nn.functional.one_hot(torch.tensor(index), classes).float()


def evaluate(with_teacher=True):
    metric = LongTailAccuracy(split='index', cut_points=[1, 2])
    samples = []
    for label, dist, teacher in CASE:
        sample = dict(gt_label=torch.tensor([label]), pred_score=one_hot(dist),
                      pred_score_cls=one_hot(label), pred_score_dist=one_hot(dist))
        if with_teacher:
            sample['pred_score_teacher'] = one_hot(teacher)
        samples.append(sample)
    metric.process({}, samples)
    scalars = metric.compute_metrics(metric.results)
    return metric.long_tail_results, scalars


def assert_figures(actual, expected):
    assert actual.keys() == expected.keys()
    for group, figures in expected.items():
        for key, value in figures.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(actual[group][key]), (group, key)
            else:
                assert math.isclose(actual[group][key], value), (group, key)


def test_agreement_per_group_matches_the_hand_count():
    results, scalars = evaluate()
    assert_figures(results.teacher_agreement, EXPECTED)
    assert math.isclose(scalars['teacher/dist_agreement/head'], 200 / 3)
    assert scalars['teacher/right_where_dist_wrong/head'] == 50.0
    assert scalars['teacher/right_where_dist_wrong/mid'] == 0.0
    round_trip = LongTailResults.from_dict(results.to_dict())
    assert_figures(round_trip.teacher_agreement, EXPECTED)


def test_agreement_is_printed_with_the_test_table():
    results, scalars = evaluate()
    printed = format_metrics({f'long_tail/{k}': v for k, v in scalars.items()},
                             {'long_tail': results})
    rows = {line.split(' | ')[0].strip(): line.split(' | ')[1:] for line in printed.splitlines()
            if ' | ' in line}
    assert [cell.strip() for cell in rows['DIST = TEACHER']] == ['66.67', '50.00', '100.00']
    assert [cell.strip() for cell in rows['TEACHER right, DIST wrong']] == ['50.00', '0.00', '-']
    assert 'teacher/dist_agreement' not in printed  # the flat keys are not repeated


def test_no_agreement_without_a_teacher():
    results, scalars = evaluate(with_teacher=False)
    assert results.teacher_agreement is None
    assert not any(key.startswith('teacher/') for key in scalars)
