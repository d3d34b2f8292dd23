import json
import math
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from deitlt_mm.evaluation import LongTailResults, PredictionAccuracy
from deitlt_mm.evaluation.plot import plot_per_class_accuracy
from deitlt_mm.registry import METRICS

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'analysis' / 'plot_per_class_accuracy.py'


def _results(plot_path=None):
    metric = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[2, 4],
                                plot_path=plot_path))
    metric.dataset_meta = dict(classes=tuple('abcdef'))
    metric.set_class_counts([60, 40, 20, 10, 5, 2])
    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(12) % 6
    scores = torch.rand(12, 3, 6, generator=gen)
    metric.process(None, [dict(gt_label=labels[i:i + 1], pred_score_cls=scores[i, 0],
                               pred_score_dist=scores[i, 1], pred_score=scores[i, 2])
                          for i in range(12)])
    metric.evaluate(12)
    return metric.long_tail_results


def _write_results(path, **long_tail):
    """The layout tools/test.py --out writes."""
    path.write_text(json.dumps(dict(config='x.py', metrics={}, long_tail={
        prefix: results.to_dict() for prefix, results in long_tail.items()})))


def _is_png(path):
    data = path.read_bytes()
    return len(data) > 1000 and data.startswith(PNG_SIGNATURE)


def test_script_writes_png_from_json(tmp_path):
    results = tmp_path / 'results.json'
    _write_results(results, long_tail=_results())
    out = tmp_path / 'plots' / 'per_class.png'
    main = runpy.run_path(str(SCRIPT))['main']
    main([str(results), str(out), '--title', 'toy'])
    assert _is_png(out)


def test_script_asks_for_a_prefix_when_there_are_several(tmp_path):
    results = tmp_path / 'results.json'
    _write_results(results, long_tail=_results(), shot=_results())
    main = runpy.run_path(str(SCRIPT))['main']
    with pytest.raises(SystemExit, match=r"several long-tail results \['long_tail', 'shot'\]"):
        main([str(results), str(tmp_path / 'x.png')])
    main([str(results), str(tmp_path / 'shot.png'), '--prefix', 'shot'])
    assert _is_png(tmp_path / 'shot.png')


def test_script_runs_standalone_without_install(tmp_path):
    results = tmp_path / 'results.json'
    _write_results(results, long_tail=_results())
    out = tmp_path / 'per_class.png'
    subprocess.run([sys.executable, str(SCRIPT), str(results), str(out)], check=True,
                   cwd=tmp_path, env={'PATH': '/usr/bin:/bin', 'HOME': str(tmp_path)})
    assert _is_png(out)


def test_metric_plot_option_and_plain_prediction(tmp_path):
    path = tmp_path / 'metric.png'
    _results(plot_path=str(path))
    assert _is_png(path)
    plain = tmp_path / 'plain.png'
    plot_per_class_accuracy(LongTailResults(
        predictions={'pred': PredictionAccuracy(top1=50.0, head=100.0, mid=math.nan, tail=0.0,
                                                per_class=[100.0, None, 0.0])},
        class_groups=['head', 'mid', 'tail']), str(plain))
    assert _is_png(plain)
