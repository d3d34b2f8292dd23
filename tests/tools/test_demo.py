"""tools/demo.py end to end on tiny IDX files written here (no Debian package needed)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert set(summary['wall_s']) == {'teacher', 'deitlt', 'baseline', 'total'}
    table_lines = summary['table'].splitlines()
    assert [line.split('|')[0].strip() for line in table_lines[2:]] == [
        'teacher ResNet32', 'DeiT no distill', 'DeiT-LT CLS', 'DeiT-LT DIST', 'DeiT-LT AVG']
    assert [cell.strip() for cell in table_lines[0].split('|')] == [
        '', 'overall', 'head', 'mid', 'tail']
    assert summary['table'] in proc.stdout
    # The teacher is a plain classifier, the student has three predictions.
    assert 'long_tail/top1' in summary['metrics']['teacher ResNet32']
    assert 'long_tail/dist/tail' in summary['metrics']['DeiT-LT']
    for stage in ('teacher', 'deitlt', 'baseline'):
        results = json.loads((work_dir / stage / 'results.json').read_text())
        assert len(results['metrics']['long_tail/class_groups']) == 10
        assert (work_dir / stage / 'per_class.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # The student was distilled from the teacher this run trained, with DRW at its end.
    # The training and the test run of the stage each log into a timestamped folder.
    student_log = '\n'.join(log.read_text() for log in (work_dir / 'deitlt').glob('*/*.log'))
    assert str(work_dir / 'teacher' / 'epoch_2.pth') in student_log
    assert 'DRWHook: epoch 5: DRW on, batch augments off' in student_log
    assert 'Epoch(val)' not in student_log  # the test stage evaluates instead


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
