"""Two tiny test-results files -> one Markdown / CSV table and one per-class plot."""
import csv
import io
import json
import math

import pytest

from deitlt_mm.analysis.run_summary import find_results_files, load_runs, running_mean
from deitlt_mm.errors import ConfigValueError
from tests._tools import load_tool


def _accuracy(top1, head, mid, tail, per_class):
    return dict(top1=top1, head=head, mid=mid, tail=tail, per_class=per_class, top5=None)


def _write_runs(root):
    """A DeiT-LT student (with teacher, epoch in the file) and a baseline (epoch from the
    checkpoint name), laid out as work dirs with a JSON-lines log that is no result."""
    student = dict(
        config='configs/demo/deitlt_tiny_fmnist_lt.py', checkpoint='w/deitlt/epoch_6.pth',
        epoch=6, iter=702, metrics={},
        long_tail={'long_tail': dict(
            predictions=dict(
                avg=_accuracy(50.0, 80.0, 45.0, 25.0, [90.0, 70.0, 50.0, 40.0, 25.0]),
                cls=_accuracy(40.0, 90.0, 30.0, 0.0, [95.0, 85.0, 40.0, 20.0, 0.0]),
                dist=_accuracy(55.5, 70.0, 50.0, 45.125, [80.0, 60.0, 55.0, 45.0, 45.125]),
                teacher=_accuracy(70.0, 75.0, 65.0, 72.0, [80.0, 70.0, 60.0, 70.0, 72.0])),
            class_groups=['head', 'head', 'mid', 'mid', 'tail'],
            train_class_counts=[100, 50, 20, 10, 5])})
    baseline = dict(
        config='configs/demo/deit_tiny_fmnist_lt_no_distill.py',
        checkpoint='w/baseline/epoch_5.pth', metrics={},
        long_tail={'long_tail': dict(
            predictions=dict(pred=_accuracy(40.0, 92.0, 32.0, float('nan'),
                                            [92.0, 92.0, 40.0, 24.0, None])),
            class_groups=['head', 'head', 'mid', 'mid', 'tail'],
            train_class_counts=[100, 50, 20, 10, 5])})
    for name, content in (('deitlt', student), ('baseline', baseline)):
        folder = root / name
        (folder / '20261128_120000' / 'vis_data').mkdir(parents=True)
        (folder / 'results.json').write_text(json.dumps(content))
        (folder / '20261128_120000' / 'vis_data' / 'scalars.json').write_text(
            '{"loss": 1.0, "step": 1}\n{"loss": 0.5, "step": 2}\n')
    (root / 'summary.json').write_text(json.dumps(dict(long_tail={})))  # the demo's: skipped


EXPECTED_TABLE = """\
| run | config | epoch | prediction | overall | head | mid | tail |
|---|---|---|---|---:|---:|---:|---:|
| baseline | deit_tiny_fmnist_lt_no_distill | 5 | ACC | 40.00 | 92.00 | 32.00 | - |
| deitlt | deitlt_tiny_fmnist_lt | 6 | CLS | 40.00 | 90.00 | 30.00 | 0.00 |
| deitlt | deitlt_tiny_fmnist_lt | 6 | DIST | 55.50 | 70.00 | 50.00 | 45.12 |
| deitlt | deitlt_tiny_fmnist_lt | 6 | AVG | 50.00 | 80.00 | 45.00 | 25.00 |
| deitlt | deitlt_tiny_fmnist_lt | 6 | TEACHER | 70.00 | 75.00 | 65.00 | 72.00 |
"""


def test_tool_writes_one_table_and_one_plot_from_work_dirs(tmp_path, capsys):
    _write_runs(tmp_path / 'w')
    out = tmp_path / 'out'
    load_tool('analysis/summarize_runs.py').main([str(tmp_path / 'w'), '--out', str(out)])
    assert (out / 'runs.md').read_text() == EXPECTED_TABLE
    assert EXPECTED_TABLE in capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO((out / 'runs.csv').read_text())))
    assert [r['prediction'] for r in rows] == ['ACC', 'CLS', 'DIST', 'AVG', 'TEACHER']
    assert rows[0]['tail'] == '' and rows[2]['tail'] == '45.125'
    assert (rows[1]['run'], rows[1]['epoch'], float(rows[1]['head'])) == ('deitlt', '6', 90.0)
    assert (out / 'runs_per_class.png').read_bytes()[:4] == b'\x89PNG'


def test_files_given_directly_are_named_by_their_paths(tmp_path):
    _write_runs(tmp_path)
    runs = load_runs([str(tmp_path / 'deitlt' / 'results.json'),
                      str(tmp_path / 'baseline' / 'results.json')])
    assert [(r.name, r.epoch) for r in runs] == [('deitlt', '6'), ('baseline', '5')]
    single = load_runs([str(tmp_path / 'deitlt' / 'results.json')])
    assert single[0].name == 'results'


def test_bad_inputs_are_named(tmp_path):
    _write_runs(tmp_path)
    with pytest.raises(ConfigValueError, match='not a tools/test.py --out file'):
        find_results_files([str(tmp_path / 'summary.json')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ConfigValueError, match='no tools/test.py --out file under'):
        find_results_files([str(tmp_path / 'empty')])
    with pytest.raises(ConfigValueError, match='no such file or folder'):
        find_results_files([str(tmp_path / 'missing')])


def test_running_mean_ignores_missing_classes():
    values = running_mean([1.0, math.nan, 3.0, 5.0], 3)
    assert values.tolist() == [1.0, 2.0, 4.0, 4.0]


def _write_paper_setting_run(path, epoch, top1):
    """A student scored under the CIFAR-10-LT IF100 paper config (no teacher)."""
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(dict(
        config='configs/deitlt/deitlt_b_cifar10_if100.py', checkpoint=f'epoch_{epoch}.pth',
        epoch=epoch, metrics={},
        long_tail={'long_tail': dict(
            predictions=dict(avg=_accuracy(top1, 95.0, 85.0, 80.0, [95.0, 85.0, 80.0]),
                             cls=_accuracy(80.0, 96.0, 80.0, 60.0, [96.0, 80.0, 60.0]),
                             dist=_accuracy(85.0, 90.0, 86.0, 81.0, [90.0, 86.0, 81.0])),
            class_groups=['head', 'mid', 'tail'], train_class_counts=[500, 50, 5])})))


# The paper's CIFAR-10-LT IF100 AVG (configs/deitlt/metafile.yml): 87.5 / 94.5 / 84.1 / 85.0,
# once, after the rows of that config's last run (`b_late`), not after the baseline.
EXPECTED_PAPER_TABLE = """\
| run | config | epoch | prediction | overall | head | mid | tail |
|---|---|---|---|---:|---:|---:|---:|
| a_early | deitlt_b_cifar10_if100 | 1100 | CLS | 80.00 | 96.00 | 80.00 | 60.00 |
| a_early | deitlt_b_cifar10_if100 | 1100 | DIST | 85.00 | 90.00 | 86.00 | 81.00 |
| a_early | deitlt_b_cifar10_if100 | 1100 | AVG | 86.00 | 95.00 | 85.00 | 80.00 |
| b_late | deitlt_b_cifar10_if100 | 1200 | CLS | 80.00 | 96.00 | 80.00 | 60.00 |
| b_late | deitlt_b_cifar10_if100 | 1200 | DIST | 85.00 | 90.00 | 86.00 | 81.00 |
| b_late | deitlt_b_cifar10_if100 | 1200 | AVG | 88.25 | 95.00 | 85.00 | 80.00 |
| paper | deitlt_b_cifar10_if100 | - | AVG | 87.50 | 94.50 | 84.10 | 85.00 |
| baseline | deit_tiny_fmnist_lt_no_distill | 5 | ACC | 40.00 | 92.00 | 32.00 | - |
| deitlt | deitlt_tiny_fmnist_lt | 6 | CLS | 40.00 | 90.00 | 30.00 | 0.00 |
| deitlt | deitlt_tiny_fmnist_lt | 6 | DIST | 55.50 | 70.00 | 50.00 | 45.12 |
| deitlt | deitlt_tiny_fmnist_lt | 6 | AVG | 50.00 | 80.00 | 45.00 | 25.00 |
| deitlt | deitlt_tiny_fmnist_lt | 6 | TEACHER | 70.00 | 75.00 | 65.00 | 72.00 |
"""


def test_paper_flag_adds_the_papers_avg_once_per_paper_setting(tmp_path, capsys):
    _write_runs(tmp_path / 'w')
    _write_paper_setting_run(tmp_path / 'w' / 'a_early' / 'results.json', 1100, 86.0)
    _write_paper_setting_run(tmp_path / 'w' / 'b_late' / 'results.json', 1200, 88.25)
    tool = load_tool('analysis/summarize_runs.py')
    tool.main([str(tmp_path / 'w'), '--out', str(tmp_path / 'plain')])
    assert 'paper' not in (tmp_path / 'plain' / 'runs.md').read_text()
    capsys.readouterr()

    out = tmp_path / 'out'
    tool.main([str(tmp_path / 'w'), '--out', str(out), '--paper'])
    assert (out / 'runs.md').read_text() == EXPECTED_PAPER_TABLE
    assert 'no paper row' not in capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO((out / 'runs.csv').read_text())))
    paper = [row for row in rows if row['run'] == 'paper']
    assert paper == [dict(run='paper', config='deitlt_b_cifar10_if100', epoch='',
                          prediction='AVG', overall='87.5', head='94.5', mid='84.1',
                          tail='85.0')]
    assert rows.index(paper[0]) == 6


def test_paper_flag_without_a_paper_setting_says_so(tmp_path, capsys):
    _write_runs(tmp_path / 'w')
    out = tmp_path / 'out'
    load_tool('analysis/summarize_runs.py').main([str(tmp_path / 'w'), '--out', str(out),
                                                  '--paper'])
    assert (out / 'runs.md').read_text() == EXPECTED_TABLE
    printed = capsys.readouterr().out.splitlines()
    assert [line for line in printed if line.startswith('no paper row')] == [
        'no paper row: no run has a paper setting as its config (only '
        'configs/deitlt/deitlt_b_*.py have numbers in configs/deitlt/metafile.yml)']
