import math

import pytest

from deitlt_mm.evaluation import format_comparison_table, format_long_tail_table


def test_student_table_rows_columns_and_values():
    metrics = {
        'long_tail/avg/top1': 83.3333, 'long_tail/avg/head': 100.0, 'long_tail/avg/mid': 100.0,
        'long_tail/avg/tail': 50.0, 'long_tail/avg/top5': 99.0,
        'long_tail/cls/top1': 50.0, 'long_tail/cls/head': 50.0, 'long_tail/cls/mid': 50.0,
        'long_tail/cls/tail': 50.0, 'long_tail/cls/top5': 98.0,
        'long_tail/dist/top1': 50.0, 'long_tail/dist/head': 100.0,
        'long_tail/dist/mid': 50.0, 'long_tail/dist/tail': math.nan,
        'long_tail/dist/top5': 97.5,
        'long_tail/cls/per_class': [50.0, 100.0], 'long_tail/class_groups': ['head', 'tail'],
        'accuracy/top1': 12.0,  # another metric: ignored
    }
    table = format_long_tail_table(metrics)
    lines = table.splitlines()
    assert [c.strip() for c in lines[0].split('|')] == \
        ['', 'overall', 'head', 'mid', 'tail', 'top5']
    assert set(lines[1]) == {'-', '+'}
    assert [c.strip() for c in lines[2].split('|')] == \
        ['CLS', '50.00', '50.00', '50.00', '50.00', '98.00']
    assert [c.strip() for c in lines[3].split('|')] == \
        ['DIST', '50.00', '100.00', '50.00', '-', '97.50']
    assert [c.strip() for c in lines[4].split('|')] == \
        ['AVG', '83.33', '100.00', '100.00', '50.00', '99.00']
    assert len(lines) == 5


def test_plain_classifier_single_row_without_top5():
    table = format_long_tail_table({'long_tail/top1': 25.0, 'long_tail/head': 50.0,
                                    'long_tail/mid': 0.0, 'long_tail/tail': 12.5})
    lines = table.splitlines()
    assert [c.strip() for c in lines[0].split('|')] == ['', 'overall', 'head', 'mid', 'tail']
    assert [c.strip() for c in lines[2].split('|')] == ['ACC', '25.00', '50.00', '0.00', '12.50']
    assert format_long_tail_table({'accuracy/top1': 1.0}) == ''


def test_comparison_table_one_row_per_model_and_prediction():
    teacher = {'long_tail/top1': 80.0, 'long_tail/head': 95.0, 'long_tail/mid': 80.5,
               'long_tail/tail': 60.25, 'long_tail/per_class': [1.0, 2.0]}
    student = {f'long_tail/{name}/{figure}': value
               for name, value in (('teacher', 80.0), ('avg', 70.0), ('cls', 60.0),
                                   ('dist', 65.0))
               for figure in ('top1', 'head', 'mid', 'tail', 'top5')}
    student['long_tail/dist/tail'] = math.nan
    # The teacher's health figures are not table columns.
    student.update({'long_tail/teacher/top_class_share': 12.5,
                    'long_tail/teacher/degenerate': 0.0})
    lines = format_comparison_table({'teacher': teacher, 'student': student}).splitlines()
    cells = [[c.strip() for c in line.split('|')] for line in lines]
    assert cells[0] == ['', 'overall', 'head', 'mid', 'tail']  # no top5 column
    assert cells[2:] == [['teacher', '80.00', '95.00', '80.50', '60.25'],
                         ['student CLS', '60.00', '60.00', '60.00', '60.00'],
                         ['student DIST', '65.00', '65.00', '65.00', '-'],
                         ['student AVG', '70.00', '70.00', '70.00', '70.00'],
                         ['student TEACHER', '80.00', '80.00', '80.00', '80.00']]


def test_comparison_table_names_a_model_without_figures():
    with pytest.raises(ValueError, match="no 'long_tail' figures for 'baseline'"):
        format_comparison_table({'baseline': {'accuracy/top1': 1.0}})
