"""compare_to_paper: a run's figures beside the metafile's paper numbers."""
import json

import pytest

from deitlt_mm.analysis.paper_comparison import compare_to_paper, paper_numbers
from deitlt_mm.errors import ConfigValueError
from deitlt_mm.evaluation.results import LongTailResults, PredictionAccuracy
from tests._tools import load_tool


def write_results(path, config):
    predictions = {name: PredictionAccuracy(top1=top1, head=90.0, mid=80.0, tail=tail,
                                            per_class=[])
                   for name, top1, tail in (('avg', 88.0, 86.5), ('cls', 85.0, 70.0),
                                            ('dist', 86.0, 88.0))}
    results = LongTailResults(predictions=predictions, class_groups=[])
    path.write_text(json.dumps(dict(config=config, checkpoint='x.pth', metrics={},
                                    long_tail={'long_tail': results.to_dict()})))
    return path


def test_paper_numbers_come_from_the_metafile():
    assert paper_numbers('deitlt_b_cifar10_if100') == dict(top1=87.5, head=94.5, mid=84.1,
                                                           tail=85.0)
    assert paper_numbers('deit_b_cifar10_if100_no_distill') is None


def test_table_shows_ours_the_paper_and_the_difference(tmp_path, capsys):
    (tmp_path / 'run').mkdir()
    write_results(tmp_path / 'run' / 'r.json', 'configs/deitlt/deitlt_b_cifar10_if100.py')
    load_tool('analysis/compare_to_paper.py').main([str(tmp_path / 'run')])
    rows = {line.split(' | ')[0].strip(): [c.strip() for c in line.split(' | ')[1:]]
            for line in capsys.readouterr().out.splitlines() if ' | ' in line}
    assert rows['ours CLS'] == ['85.00', '90.00', '80.00', '70.00']
    assert rows['paper AVG'] == ['87.50', '94.50', '84.10', '85.00']
    assert rows['AVG - paper'] == ['+0.50', '-4.50', '-4.10', '+1.50']


def test_a_config_without_paper_numbers_is_named(tmp_path):
    path = write_results(tmp_path / 'r.json', 'configs/demo/deitlt_tiny_fmnist_lt.py')
    with pytest.raises(ConfigValueError, match='has no paper numbers'):
        compare_to_paper(str(path))
