import json
import math

import numpy as np
import pytest
import torch

from deitlt_mm.evaluation import (
    LongTailResults,
    PredictionAccuracy,
    load_long_tail_results,
    to_jsonable,
)


def _student():
    return LongTailResults(
        predictions={'avg': PredictionAccuracy(top1=60.0, head=80.0, mid=50.0, tail=math.nan,
                                               per_class=[80.0, None], top5=90.0),
                     'cls': PredictionAccuracy(top1=40.0, head=70.0, mid=20.0, tail=10.0,
                                               per_class=[70.0, 10.0])},
        class_groups=['head', 'tail'], train_class_counts=[50, 5])


def test_scalars_are_flat_and_named_by_prediction():
    assert list(_student().scalars().items())[:6] == [
        ('avg/top1', 60.0), ('avg/top5', 90.0), ('avg/head', 80.0), ('avg/mid', 50.0),
        ('avg/tail', _student().predictions['avg'].tail), ('cls/top1', 40.0)]
    assert 'cls/top5' not in _student().scalars()
    plain = LongTailResults(predictions={'pred': _student().predictions['cls']},
                            class_groups=['head', 'tail'])
    assert list(plain.scalars()) == ['top1', 'head', 'mid', 'tail']


def test_json_round_trip_through_a_test_results_file(tmp_path):
    path = tmp_path / 'results.json'
    path.write_text(json.dumps(dict(metrics={}, long_tail={'long_tail': _student().to_dict()})))
    loaded = load_long_tail_results(str(path))['long_tail']
    # Equal as written (NaN == NaN only as text).
    assert json.dumps(loaded.to_dict()) == json.dumps(_student().to_dict())
    assert loaded.predictions['avg'].per_class == [80.0, None]
    assert math.isnan(loaded.predictions['avg'].tail)
    assert loaded.train_class_counts == [50, 5]


def test_bad_results_files_are_named(tmp_path):
    path = tmp_path / 'old.json'
    path.write_text(json.dumps(dict(metrics={'long_tail/top1': 1.0})))
    with pytest.raises(ValueError, match='old.json: no "long_tail" results'):
        load_long_tail_results(str(path))
    with pytest.raises(ValueError, match='expected "predictions"'):
        LongTailResults.from_dict({'predictions': {'avg': {'top1': 1.0}}, 'class_groups': []})


def test_to_jsonable_converts_tensors_and_numpy():
    value = {'a': torch.tensor([1.5, 2.0]), 'b': np.float32(0.5), 'c': (np.int64(3), None)}
    assert json.loads(json.dumps(to_jsonable(value))) == {'a': [1.5, 2.0], 'b': 0.5,
                                                          'c': [3, None]}
    with pytest.raises(TypeError, match='cannot write object'):
        to_jsonable({'x': object()})
