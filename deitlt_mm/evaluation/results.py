"""Turning an evaluator's metric dict into a printout and into JSON."""
import numbers

import numpy as np
import torch


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


def format_metrics(metrics: dict) -> str:
    """One ``name: value`` line per scalar metric; lists are summarised by length."""
    lines = []
    for key, value in metrics.items():
        value = to_jsonable(value)
        if isinstance(value, float):
            lines.append(f'{key}: {value:.2f}')
        elif isinstance(value, list):
            lines.append(f'{key}: [{len(value)} values]')
        else:
            lines.append(f'{key}: {value}')
    return '\n'.join(lines)
