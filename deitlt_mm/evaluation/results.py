"""Turning an evaluator's metric dict into a printout and into JSON."""
import numbers

import numpy as np
import torch

from .report import format_long_tail_table


def to_jsonable(value):
    """Tensors / numpy values / nested containers -> plain JSON types."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, numbers.Number) or value is None or isinstance(value, str):
        return value
    raise TypeError(f'cannot write {type(value).__name__} value {value!r} as JSON')


def format_metrics(metrics: dict, long_tail_prefix: str = 'long_tail') -> str:
    """The long-tail table (rows CLS / DIST / AVG / TEACHER, columns overall / head /
    mid / tail), then one ``name: value`` line per other metric (lists summarised by
    length), e.g. a plain mmpretrain ``accuracy/top1``."""
    table = format_long_tail_table(metrics, prefix=long_tail_prefix)
    lines = [table] if table else []
    for key, value in metrics.items():
        if key.startswith(long_tail_prefix + '/'):
            continue
        value = to_jsonable(value)
        if isinstance(value, float):
            lines.append(f'{key}: {value:.2f}')
        elif isinstance(value, list):
            lines.append(f'{key}: [{len(value)} values]')
        else:
            lines.append(f'{key}: {value}')
    return '\n'.join(lines)
