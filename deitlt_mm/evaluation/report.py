"""Human-readable tables of :class:`LongTailAccuracy` results."""
import math
from typing import Dict, List, Tuple

COLUMNS = ('top1', 'head', 'mid', 'tail', 'top5')
HEADERS = {'top1': 'overall', 'head': 'head', 'mid': 'mid', 'tail': 'tail', 'top5': 'top5'}


def _rows(metrics: Dict, prefix: str) -> List[Tuple[str, Dict[str, float]]]:
    """Group ``prefix/[name/]figure`` keys into one row per prediction name."""
    rows: Dict[str, Dict[str, float]] = {}
    for key, value in metrics.items():
        if prefix and not key.startswith(prefix + '/'):
            continue
        parts = key[len(prefix) + 1 if prefix else 0:].split('/')
        if parts[-1] not in COLUMNS:
            continue
        # ``name/figure`` for a student's predictions, ``figure`` alone for a
        # plain classifier (``long_tail/top1``).
        name = parts[0] if len(parts) == 2 else ''
        rows.setdefault(name, {})[parts[-1]] = value
    order = {'cls': 0, 'dist': 1, 'avg': 2, 'teacher': 3, '': 4}
    return sorted(rows.items(), key=lambda item: order.get(item[0], 5))


def format_long_tail_table(metrics: Dict, prefix: str = 'long_tail') -> str:
    """Table of overall / head / mid / tail (and top-5) accuracy per prediction.

    Args:
        metrics (dict): the evaluator's output, e.g. ``{'long_tail/cls/top1': 81.2,
            'long_tail/cls/head': 90.0, ...}``; keys of other metrics and
            non-figure entries (``per_class``, ...) are ignored.
        prefix (str): the metric's prefix (``LongTailAccuracy.default_prefix``).

    Returns:
        str: rows CLS / DIST / AVG (and TEACHER, its teacher) for a student (one
        row ``ACC`` for a plain classifier), columns overall / head / mid / tail
        [/ top5], percentages with two decimals (``-`` for an empty group). Empty
        string if ``metrics`` holds no long-tail figures.
    """
    rows = _rows(metrics, prefix)
    if not rows:
        return ''
    columns = [c for c in COLUMNS if any(c in figures for _, figures in rows)]
    header = ['', *(HEADERS[c] for c in columns)]
    body = []
    for name, figures in rows:
        cells = []
        for column in columns:
            value = figures.get(column)
            cells.append('-' if value is None or math.isnan(value) else f'{value:.2f}')
        body.append([name.upper() or 'ACC', *cells])
    return _layout(header, body)


def _layout(header: List[str], body: List[List[str]]) -> str:
    """Left-aligned first column, right-aligned figures, a rule under the header."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells):
        return ' | '.join(cell.rjust(width) if i else cell.ljust(width)
                          for i, (cell, width) in enumerate(zip(cells, widths)))

    rule = '-+-'.join('-' * w for w in widths)
    return '\n'.join([line(header), rule, *(line(row) for row in body)])


def format_comparison_table(named_metrics: Dict[str, Dict], prefix: str = 'long_tail') -> str:
    """One table of several models' long-tail figures, e.g. teacher / baseline / student.

    Args:
        named_metrics (dict): ``{model name: evaluator output}`` in display order;
            each output as for :func:`format_long_tail_table`.
        prefix (str): the metric's prefix.

    Returns:
        str: one row per model and prediction (``name`` for a plain classifier,
        ``name CLS`` / ``name DIST`` / ``name AVG`` / ``name TEACHER`` for a
        student), columns overall / head / mid / tail, percentages with two
        decimals.
    """
    rows = []
    for model_name, metrics in named_metrics.items():
        model_rows = _rows(metrics, prefix)
        if not model_rows:
            raise ValueError(f'format_comparison_table: no {prefix!r} figures for '
                             f'{model_name!r} (keys: {sorted(metrics)})')
        for name, figures in model_rows:
            rows.append((f'{model_name} {name.upper()}' if name else model_name, figures))
    columns = ('top1', 'head', 'mid', 'tail')
    header = ['', *(HEADERS[c] for c in columns)]
    body = [[label, *('-' if figures.get(c) is None or math.isnan(figures[c])
                      else f'{figures[c]:.2f}' for c in columns)]
            for label, figures in rows]
    return _layout(header, body)
