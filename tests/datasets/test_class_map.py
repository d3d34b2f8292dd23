import json
import time

import numpy as np
import pytest

from deitlt_mm.datasets.class_map import (
    _heap_argsort,
    argsort_numpy124,
    build_class_map,
    class_order,
    frequency_order,
    load_class_map,
    save_class_map,
)


def _cases(golden_dir):
    return json.loads((golden_dir / 'argsort_numpy124' / 'cases.json').read_text())['cases']


def test_all_golden_cases_match_numpy_124(golden_dir):
    cases = _cases(golden_dir)
    assert set(cases) == {'imagenet_like_1000', 'inat_like_8142', 'small_ties_40',
                          'all_equal_100'}
    for name, case in cases.items():
        np.testing.assert_array_equal(frequency_order(case['counts']), case['order'],
                                      err_msg=name)


def test_inat_sized_order_is_fast(golden_dir):
    counts = _cases(golden_dir)['inat_like_8142']['counts']
    start = time.perf_counter()
    frequency_order(counts)
    assert time.perf_counter() - start < 1.0


def test_argsort_sorts_and_permutes():
    values = np.random.default_rng(0).integers(-5, 5, size=300)
    order = argsort_numpy124(values)
    assert sorted(order.tolist()) == list(range(300))
    assert np.all(np.diff(values[order]) >= 0)
    assert argsort_numpy124([]).tolist() == [] and argsort_numpy124([7]).tolist() == [0]


def test_heapsort_fallback_equals_numpy_heapsort():
    # The depth-limit fallback is numpy's aheapsort; numpy's kind='heapsort' runs the
    # same routine on every version, ties included.
    values = np.random.default_rng(1).integers(0, 6, size=257).tolist()
    idx = list(range(257))
    _heap_argsort(values, idx, 0, 256)
    np.testing.assert_array_equal(idx, np.argsort(np.asarray(values), kind='heapsort'))


def test_class_map_roundtrip(tmp_path):
    counts = [3, 9, 9, 1]
    class_map = build_class_map(counts)
    assert class_map[1] in (0, 1) and class_map[2] in (0, 1) and class_map[0] == 2
    assert class_map[3] == 3
    save_class_map(tmp_path / 'map.json', class_map, counts)
    loaded, loaded_counts = load_class_map(tmp_path / 'map.json')
    assert loaded == class_map
    np.testing.assert_array_equal(loaded_counts, counts)


def test_bad_class_map_file(tmp_path):
    path = tmp_path / 'map.json'
    path.write_text(json.dumps({'class_map': {'0': 0, '1': 0}, 'counts': [1, 1]}))
    with pytest.raises(ValueError, match='map.json.*bijection'):
        load_class_map(path)
    path.write_text('not json')
    with pytest.raises(ValueError, match='map.json.*unreadable'):
        load_class_map(path)


def test_class_order_inverts_the_map():
    class_map = build_class_map([2, 5, 5, 1])  # original -> frequency index
    assert class_map == {1: 0, 2: 1, 0: 2, 3: 3}
    order = class_order(class_map)
    np.testing.assert_array_equal(order, [1, 2, 0, 3])
    assert all(class_map[order[new]] == new for new in range(4))


@pytest.mark.parametrize('bad_map, what', [({0: 0, 1: 1, 5: 2}, 'original labels'),
                                           ({0: 0, 1: 0, 2: 2}, 'new indices')])
def test_class_order_refuses_a_map_that_is_no_permutation(bad_map, what):
    with pytest.raises(ValueError, match=f'map.json: the {what} of a 3-class map'):
        class_order(bad_map, 'map.json')
