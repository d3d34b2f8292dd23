import math

from deitlt_mm.evaluation import format_long_tail_table


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
