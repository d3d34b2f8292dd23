"""Human-readable tables of :class:`~deitlt_mm.evaluation.results.LongTailResults`."""
from typing import Dict, List, Mapping

from .results import PLAIN, LongTailResults, is_missing, to_jsonable

HEADERS = {'top1': 'overall', 'head': 'head', 'mid': 'mid', 'tail': 'tail', 'top5': 'top5'}
# Rows of a student in reading order (the experts, then their average); predictions of
# other names follow in the metric's order.
ROW_ORDER = ('cls', 'dist', 'avg', 'teacher')


def ordered_prediction_names(results: LongTailResults) -> List[str]:
    """Prediction names in reading order: :data:`ROW_ORDER`, then the others in the
    metric's order."""
    names = list(results.predictions)
    return sorted(names, key=lambda name: ROW_ORDER.index(name) if name in ROW_ORDER
                  else len(ROW_ORDER) + names.index(name))


def _cell(value) -> str:
    return '-' if is_missing(value) else f'{value:.2f}'


def _layout(header: List[str], body: List[List[str]]) -> str:
    """Left-aligned first column, right-aligned figures, a rule under the header."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells):
        return ' | '.join(cell.rjust(width) if i else cell.ljust(width)
                          for i, (cell, width) in enumerate(zip(cells, widths)))

    rule = '-+-'.join('-' * w for w in widths)
    return '\n'.join([line(header), rule, *(line(row) for row in body)])


def format_long_tail_table(results: LongTailResults) -> str:
    """Table of overall / head / mid / tail (and top-5) accuracy per prediction.

    Returns:
        str: rows CLS / DIST / AVG for a student (one row ``ACC`` for a plain
        classifier), columns overall / head / mid / tail [/ top5 when the results
        have it], percentages with two decimals (``-`` for an empty group).
    """
    names = ordered_prediction_names(results)
    columns = ['top1', 'head', 'mid', 'tail']
    if any(results.predictions[name].top5 is not None for name in names):
        columns.append('top5')
    body = [['ACC' if name == PLAIN else name.upper(),
             *(_cell(getattr(results.predictions[name], column)) for column in columns)]
            for name in names]
    return _layout(['', *(HEADERS[c] for c in columns)], body)


def format_teacher_agreement(results: LongTailResults) -> str:
    """Table of the DIST token's agreement with the teacher, or '' without a teacher.

    Returns:
        str: columns head / mid / tail; rows ``DIST = TEACHER`` (% of the group's test
        images where DIST predicts the teacher's class) and ``TEACHER right, DIST wrong``
        (% of the images DIST gets wrong that the teacher gets right), two decimals.
    """
    agreement = results.teacher_agreement
    if not agreement:
        return ''
    groups = list(agreement)
    body = [[label, *(_cell(agreement[group][key]) for group in groups)]
            for label, key in (('DIST = TEACHER', 'dist_agreement'),
                               ('TEACHER right, DIST wrong', 'teacher_right_where_dist_wrong'))]
    return _layout(['', *groups], body)


def format_comparison_table(named_results: Mapping[str, LongTailResults]) -> str:
    """One table of several models' long-tail figures, e.g. teacher / baseline / student.

    Args:
        named_results (Mapping): ``{model name: LongTailResults}`` in display order.

    Returns:
        str: one row per model and prediction (``name`` for a plain classifier,
        ``name CLS`` / ``name DIST`` / ``name AVG`` for a student), columns
        overall / head / mid / tail, percentages with two decimals.
    """
    columns = ('top1', 'head', 'mid', 'tail')
    body = []
    for model_name, results in named_results.items():
        for name in ordered_prediction_names(results):
            label = model_name if name == PLAIN else f'{model_name} {name.upper()}'
            accuracy = results.predictions[name]
            body.append([label, *(_cell(getattr(accuracy, c)) for c in columns)])
    return _layout(['', *(HEADERS[c] for c in columns)], body)


def format_metrics(metrics: Dict, long_tail: Mapping[str, LongTailResults]) -> str:
    """The printout of a test run: one long-tail table per ``LongTailAccuracy`` (titled
    with its prefix when there are several), then one ``name: value`` line per other
    metric (lists summarised by length), e.g. a plain mmpretrain ``accuracy/top1``.

    Args:
        metrics (dict): the evaluator's flat output (``runner.test()``).
        long_tail (Mapping): ``{metric prefix: LongTailResults}`` of the same run; the
            flat keys they produced are not repeated.
    """
    lines, shown = [], set()
    for prefix, results in long_tail.items():
        if len(long_tail) > 1:
            lines.append(f'{prefix}:')
        lines.append(format_long_tail_table(results))
        if results.teacher_agreement:
            lines.append(format_teacher_agreement(results))
        shown.update(f'{prefix}/{key}' for key in results.scalars())
    for key, value in metrics.items():
        if key in shown:
            continue
        value = to_jsonable(value)
        if isinstance(value, float):
            lines.append(f'{key}: {value:.2f}')
        elif isinstance(value, list):
            lines.append(f'{key}: [{len(value)} values]')
        else:
            lines.append(f'{key}: {value}')
    return '\n'.join(lines)
