"""tools/demo.py end to end on tiny IDX files written here (no Debian package needed)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deitlt_mm.evaluation.results import LongTailResults, PredictionAccuracy
from tests._stub_data import write_fashion_mnist

REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_all_stages_and_reports(tmp_path):
    data_root = tmp_path / 'fashion-mnist'
    data_root.mkdir()
    write_fashion_mnist(data_root)
    work_dir = tmp_path / 'demo'
    env = {**os.environ, 'PYTHONUNBUFFERED': '1'}
    proc = subprocess.run(
        [sys.executable, 'tools/demo.py', '--data-root', str(data_root),
         '--work-dir', str(work_dir)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    summary = json.loads((work_dir / 'summary.json').read_text())
    assert set(summary['wall_s']) == {'teacher', 'deitlt', 'baseline', 'analyses', 'total'}
    table_lines = summary['table'].splitlines()
    rows = {line.split('|')[0].strip(): [cell.strip() for cell in line.split('|')[1:]]
            for line in table_lines[2:]}
    assert list(rows) == ['teacher ResNet32', 'DeiT no distill', 'DeiT-LT CLS',
                          'DeiT-LT DIST', 'DeiT-LT AVG', 'DeiT-LT TEACHER']
    assert [cell.strip() for cell in table_lines[0].split('|')] == [
        '', 'overall', 'head', 'mid', 'tail']
    assert summary['table'] in proc.stdout
    # The teacher and the baseline are plain classifiers, the student has three predictions
    # and its teacher's: the first stage's checkpoint, seen at the same 32 px -> the same
    # figures.
    predictions = {label: list(results['predictions'])
                   for label, results in summary['long_tail'].items()}
    assert predictions == {'teacher ResNet32': ['pred'],
                           'DeiT-LT': ['avg', 'cls', 'dist', 'teacher'],
                           'DeiT no distill': ['pred']}
    assert rows['DeiT-LT TEACHER'] == rows['teacher ResNet32']
    teacher_flagged = summary['long_tail']['DeiT-LT']['teacher_check']['degenerate']
    assert (len(summary['warnings']) == 1) == teacher_flagged
    assert ('WARNING: the teacher of DeiT-LT looks degenerate' in proc.stdout) == \
        teacher_flagged
    for stage in ('teacher', 'deitlt', 'baseline'):
        results = json.loads((work_dir / stage / 'results.json').read_text())
        assert 'long_tail/top1' in results['metrics'] or \
            'long_tail/dist/tail' in results['metrics']
        long_tail = results['long_tail']['long_tail']
        assert len(long_tail['class_groups']) == 10
        # The training counts came with the checkpoint (TrainClassCountsHook): the test
        # run never builds the training set.
        assert long_tail['train_class_counts'] == [100, 59, 35, 21, 12, 7, 4, 2, 1, 1]
        assert (work_dir / stage / 'per_class.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # The analyses of the two students, linked from the summary.
    analyses = summary['analyses']
    assert set(analyses) == {
        'attention_distance', 'attention_distance_json', 'feature_rank_deitlt',
        'feature_rank_deitlt_json', 'feature_rank_baseline', 'feature_rank_baseline_json',
        'runs_table', 'runs_csv', 'runs_per_class'}
    for name, path in analyses.items():
        assert Path(path).is_file() and work_dir / 'analysis' in Path(path).parents, name
        assert f'  {name}: {path}' in proc.stdout
    distance = json.loads(Path(analyses['attention_distance_json']).read_text())['models']
    assert list(distance) == ['DeiT-LT', 'DeiT no distill']
    assert distance['DeiT-LT']['num_images'] == 20  # the whole stub test set (< 500)
    assert len(distance['DeiT-LT']['layers']) == 4
    assert list(json.loads(Path(analyses['feature_rank_baseline_json']).read_text())[
        'tokens']) == ['cls']
    assert Path(analyses['runs_table']).read_text().count('\n| deitlt |') == 4
    # The student was distilled from the teacher this run trained, with DRW at its end.
    # The training and the test run of the stage each log into a timestamped folder.
    student_log = '\n'.join(log.read_text() for log in (work_dir / 'deitlt').glob('*/*.log'))
    assert str(work_dir / 'teacher' / 'epoch_2.pth') in student_log
    assert 'DRWHook: epoch 5: DRW on, batch augments off' in student_log
    assert 'Epoch(val)' not in student_log  # the test stage evaluates instead
    # Training precision: auto picks bf16 or fp32 for this CPU; the stages follow it.
    assert summary['precision'] in ('bf16', 'fp32')
    assert f'training precision: {summary["precision"]} ({summary["precision_reason"]})' \
        in proc.stdout
    assert ('mixed precision: bfloat16 autocast on cpu' in student_log) == (
        summary['precision'] == 'bf16')


def test_demo_without_data_says_how_to_get_it(tmp_path):
    proc = subprocess.run(
        [sys.executable, 'tools/demo.py', '--data-root', str(tmp_path), '--work-dir',
         str(tmp_path / 'demo')], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert 'apt-get install -y dataset-fashion-mnist' in proc.stderr
    assert 'train-images-idx3-ubyte' in proc.stderr
    assert not (tmp_path / 'demo').exists()


def load_demo_tool():
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        import demo
    finally:
        sys.path.pop(0)
    return demo


def test_missing_package_is_installed_with_apt_get_as_root(tmp_path, monkeypatch):
    demo = load_demo_tool()
    monkeypatch.setattr(demo, 'DEBIAN_DATA_ROOT', str(tmp_path))
    monkeypatch.setattr(demo.shutil, 'which', lambda name: f'/usr/bin/{name}')
    monkeypatch.setattr(demo.os, 'geteuid', lambda: 0)
    commands = []

    def fake_apt_get(command, check):
        commands.append(command)
        write_fashion_mnist(tmp_path)

    monkeypatch.setattr(demo.subprocess, 'run', fake_apt_get)
    demo.ensure_data(str(tmp_path))
    assert commands == [['apt-get', 'install', '-y', 'dataset-fashion-mnist']]
    demo.ensure_data(str(tmp_path))  # files there now: nothing to do
    assert len(commands) == 1


def test_missing_package_without_root_is_explained(tmp_path, monkeypatch):
    demo = load_demo_tool()
    monkeypatch.setattr(demo, 'DEBIAN_DATA_ROOT', str(tmp_path))
    monkeypatch.setattr(demo.os, 'geteuid', lambda: 1000)
    monkeypatch.setattr(demo.subprocess, 'run', lambda *a, **k: pytest.fail('ran a command'))
    with pytest.raises(SystemExit, match='sudo apt-get install -y dataset-fashion-mnist'):
        demo.ensure_data(str(tmp_path))


def test_summary_warns_about_a_degenerate_teacher_only():
    demo = load_demo_tool()

    def accuracy(top1):
        return PredictionAccuracy(top1=top1, head=top1, mid=top1, tail=top1, per_class=[top1])

    def student(degenerate):
        return LongTailResults(
            predictions={'avg': accuracy(50.0), 'teacher': accuracy(10.25)},
            class_groups=['head'],
            teacher_check=dict(top_class_share=97.5, degenerate=degenerate, message='...'))

    plain = LongTailResults(predictions={'pred': accuracy(10.0)}, class_groups=['head'])
    assert demo.degenerate_teacher_warnings({'DeiT-LT': student(False), 'teacher': plain}) == []
    warnings = demo.degenerate_teacher_warnings({'DeiT-LT': student(True), 'teacher': plain})
    assert warnings == [
        'the teacher of DeiT-LT looks degenerate: its most predicted class takes 97.5 % of '
        'the test predictions, top-1 10.25 % (limits: deitlt_mm/evaluation/teacher_check.py; '
        'details in the WARNING of the test log). The student distilled from it.']


@pytest.mark.parametrize('instructions,speedup,given,expected', [
    (['AMX-BF16'], 4.0, 'auto', 'bf16'), (['AVX512-BF16'], 0.55, 'auto', 'fp32'),
    ([], None, 'auto', 'fp32'), (['AMX-BF16'], 4.0, 'fp32', 'fp32'), ([], None, 'bf16', 'bf16')])
def test_precision_auto_is_bf16_where_it_is_faster(monkeypatch, instructions, speedup, given,
                                                  expected):
    # An explicit bf16 on a CPU without it is refused by tools/train.py --amp itself.
    demo = load_demo_tool()
    monkeypatch.setattr(demo, 'cpu_bf16_instructions', lambda: instructions)
    monkeypatch.setattr(demo, 'cpu_bf16_matmul_speedup',
                        lambda: speedup if speedup else pytest.fail('probed without bf16'))
    args = demo.parse_args(['--precision', given])
    assert args.precision == expected
    if given == 'auto' and instructions:
        assert args.precision_reason == f'{instructions[0]}, bf16 matmul {speedup:.2f}x fp32 speed'


@pytest.mark.parametrize('argv,config', [
    ([], 'configs/demo/resnet32_fmnist_lt_teacher.py'),
    (['--teacher', 'paco'], 'configs/demo/resnet32_paco_fmnist_lt_teacher.py'),
])
def test_teacher_option_picks_the_teacher_recipe(tmp_path, monkeypatch, argv, config):
    demo = load_demo_tool()
    calls = []

    class FirstCommand(Exception):
        pass

    def record_first(args, threads):
        calls.append(args)
        raise FirstCommand

    monkeypatch.setattr(demo, 'ensure_data', lambda data_root: None)
    monkeypatch.setattr(demo, 'run_tool', record_first)
    with pytest.raises(FirstCommand):
        demo.main([*argv, '--work-dir', str(tmp_path)])
    assert calls[0][:2] == ['tools/train.py', config] and (REPO / config).is_file()
    with pytest.raises(SystemExit):
        demo.parse_args(['--teacher', 'ldam'])
