import math

from deitlt_mm.evaluation import (
    LongTailResults,
    PredictionAccuracy,
    format_comparison_table,
    format_long_tail_table,
    format_metrics,
)


def _accuracy(top1, head, mid, tail, top5=None):
    return PredictionAccuracy(top1=top1, head=head, mid=mid, tail=tail, per_class=[top1],
                              top5=top5)


def _cells(table):
    return [[cell.strip() for cell in line.split('|')] for line in table.splitlines()]


def test_student_table_rows_columns_and_values():
    results = LongTailResults(
        predictions={'avg': _accuracy(83.3333, 100.0, 100.0, 50.0, top5=99.0),
                     'cls': _accuracy(50.0, 50.0, 50.0, 50.0, top5=98.0),
                     'dist': _accuracy(50.0, 100.0, 50.0, math.nan, top5=97.5)},
        class_groups=['head', 'tail'])
    cells = _cells(format_long_tail_table(results))
    assert cells[0] == ['', 'overall', 'head', 'mid', 'tail', 'top5']
    assert set(format_long_tail_table(results).splitlines()[1]) == {'-', '+'}
    assert cells[2:] == [['CLS', '50.00', '50.00', '50.00', '50.00', '98.00'],
                         ['DIST', '50.00', '100.00', '50.00', '-', '97.50'],
                         ['AVG', '83.33', '100.00', '100.00', '50.00', '99.00']]


def test_a_new_prediction_name_gets_its_row_after_the_student_rows():
    results = LongTailResults(
        predictions={'avg': _accuracy(3.0, 3.0, 3.0, 3.0), 'teacher': _accuracy(4.0, 4, 4, 4),
                     'cls': _accuracy(1.0, 1, 1, 1), 'dist': _accuracy(2.0, 2, 2, 2)},
        class_groups=['head'])
    assert [row[0] for row in _cells(format_long_tail_table(results))[2:]] == \
        ['CLS', 'DIST', 'AVG', 'TEACHER']


def test_plain_classifier_single_row_without_top5():
    results = LongTailResults(predictions={'pred': _accuracy(25.0, 50.0, 0.0, 12.5)},
                              class_groups=['head'])
    cells = _cells(format_long_tail_table(results))
    assert cells[0] == ['', 'overall', 'head', 'mid', 'tail']
    assert cells[2:] == [['ACC', '25.00', '50.00', '0.00', '12.50']]


def test_comparison_table_one_row_per_model_and_prediction():
    teacher = LongTailResults(predictions={'pred': _accuracy(80.0, 95.0, 80.5, 60.25)},
                              class_groups=['head'])
    student = LongTailResults(
        predictions={name: _accuracy(value, value, value, value, top5=99.0)
                     for name, value in (('teacher', 80.0), ('avg', 70.0), ('cls', 60.0),
                                         ('dist', 65.0))},
        class_groups=['head'],
        # The teacher's health figures are not table columns.
        teacher_check=dict(top_class_share=12.5, degenerate=False, message=''))
    student.predictions['dist'].tail = math.nan
    cells = _cells(format_comparison_table({'teacher': teacher, 'student': student}))
    assert cells[0] == ['', 'overall', 'head', 'mid', 'tail']  # no top5 column
    assert cells[2:] == [['teacher', '80.00', '95.00', '80.50', '60.25'],
                         ['student CLS', '60.00', '60.00', '60.00', '60.00'],
                         ['student DIST', '65.00', '65.00', '65.00', '-'],
                         ['student AVG', '70.00', '70.00', '70.00', '70.00'],
                         ['student TEACHER', '80.00', '80.00', '80.00', '80.00']]


def test_format_metrics_table_then_the_other_metrics():
    results = LongTailResults(
        predictions={'avg': _accuracy(55.5, 81.0, 45.0, 20.25),
                     'cls': _accuracy(50.0, 80.0, 40.0, 10.0)},
        class_groups=['head', 'mid', 'tail'])
    metrics = {**{f'long_tail/{k}': v for k, v in results.scalars().items()},
               'accuracy/top1': 12.345, 'extra/list': [1, 2]}
    text = format_metrics(metrics, {'long_tail': results}).splitlines()
    assert text[0].split() == ['|', 'overall', '|', 'head', '|', 'mid', '|', 'tail']
    assert text[2].split() == ['CLS', '|', '50.00', '|', '80.00', '|', '40.00', '|', '10.00']
    assert text[3].split() == ['AVG', '|', '55.50', '|', '81.00', '|', '45.00', '|', '20.25']
    assert text[4:] == ['accuracy/top1: 12.35', 'extra/list: [2 values]']
