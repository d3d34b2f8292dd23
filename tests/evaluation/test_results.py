import json

import numpy as np
import pytest
import torch

from deitlt_mm.evaluation import format_metrics, to_jsonable


def test_format_metrics_table_then_other_metrics():
    metrics = {
        'long_tail/cls/top1': 50.0, 'long_tail/cls/head': 80.0, 'long_tail/cls/mid': 40.0,
        'long_tail/cls/tail': 10.0, 'long_tail/cls/per_class': [80.0, 40.0, 10.0],
        'long_tail/avg/top1': 55.5, 'long_tail/avg/head': 81.0, 'long_tail/avg/mid': 45.0,
        'long_tail/avg/tail': 20.25, 'accuracy/top1': 12.345, 'extra/list': [1, 2],
    }
    text = format_metrics(metrics).splitlines()
    assert text[0].split() == ['|', 'overall', '|', 'head', '|', 'mid', '|', 'tail']
    assert text[2].split() == ['CLS', '|', '50.00', '|', '80.00', '|', '40.00', '|', '10.00']
    assert text[3].split() == ['AVG', '|', '55.50', '|', '81.00', '|', '45.00', '|', '20.25']
    assert text[4:] == ['accuracy/top1: 12.35', 'extra/list: [2 values]']


def test_to_jsonable_converts_tensors_and_numpy():
    value = {'a': torch.tensor([1.5, 2.0]), 'b': np.float32(0.5), 'c': (np.int64(3), None)}
    assert json.loads(json.dumps(to_jsonable(value))) == {'a': [1.5, 2.0], 'b': 0.5,
                                                          'c': [3, None]}
    with pytest.raises(TypeError, match='cannot write object'):
        to_jsonable({'x': object()})
