"""tools/demo.py end to end on IDX files written here (no Debian package needed)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from deitlt_mm.evaluation.results import LongTailResults, PredictionAccuracy
from tests._stub_data import write_fashion_mnist, write_textures

REPO = Path(__file__).resolve().parents[2]


# The demo's three configs at a budget that fits a test: batches of 32, no loader workers,
# TEST_ITERS iterations with every phase point (warm-up end, cosine start, DRW) scaled
# from the config's budget (its `train_iters`), and a ResNet8 teacher (the demo's ResNet20
# has three blocks a stage where ResNet8 has one: about 3x the time).
TEST_ITERS = dict(teacher=100, deitlt=120, baseline=120)
TEACHER_DEPTH = 8
# Console lines of the demo at most (measured: 2,356 when every tool printed mmengine's
# dumps, 60 with the quiet console).
MAX_CONSOLE_LINES = 80


def scale_phases(cfg, iters):
    """The config's param schedulers and custom hooks with every iteration point scaled
    from the config's budget ``train_iters`` to ``iters``."""
    def scaled(point):
        return round(point * iters / cfg['train_iters'])

    schedulers = [{**s, **{k: scaled(s[k]) for k in ('begin', 'end') if k in s}}
                  for s in cfg['param_scheduler']]
    assert not any(s.get('by_epoch', True) for s in schedulers), 'a phase counted in epochs'
    hooks = [{**h, 'drw': scaled(h['drw'])} if h['type'] == 'DRWHook' else h
             for h in cfg['custom_hooks']]
    return schedulers, hooks


def write_quick_configs(folder):
    """``{stage: path}`` of the demo's configs at the test's budget, written to ``folder``."""
    demo = load_demo_tool()
    configs = {stage: config for stage, config, _ in demo.STAGES if config}
    configs['teacher'] = demo.TEACHER_CONFIGS['ce-drw']
    smaller_teacher = dict(backbone=dict(depth=TEACHER_DEPTH))
    models = dict(teacher=smaller_teacher, deitlt=dict(teacher=smaller_teacher))
    paths = {}
    for stage, config in configs.items():
        cfg = Config.fromfile(REPO / config).to_dict()
        schedulers, hooks = scale_phases(cfg, TEST_ITERS[stage])
        paths[stage] = folder / f'{stage}.py'
        paths[stage].write_text('\n'.join([
            f'_base_ = [{str(REPO / config)!r}]',
            *([f'model = {models[stage]!r}'] if stage in models else []),
            f'train_cfg = dict(max_iters={TEST_ITERS[stage]})',
            f'param_scheduler = {schedulers!r}',
            f'custom_hooks = {hooks!r}',
            'train_dataloader = dict(batch_size=32, num_workers=0, persistent_workers=False)',
            'val_dataloader = dict(num_workers=0, persistent_workers=False)',
            'test_dataloader = dict(num_workers=0, persistent_workers=False)',
            'default_hooks = dict(logger=dict(interval=10))', '']))
    return paths


def test_demo_on_other_data_distils_the_tail(tmp_path, monkeypatch, capfd):
    """The demo path (tools/demo.py -> train.py + test.py per stage) on data that is not
    Fashion-MNIST: ten texture classes (tests/_stub_data.py draw_textures), made
    long-tailed by the demo's rule (IF100 of 300 images per class: 300 ... 3 training
    images, 737 in all), a balanced test set of 50 per class."""
    data_root = tmp_path / 'textures'
    data_root.mkdir()
    write_textures(data_root, train_per_class=300, test_per_class=50)
    configs = write_quick_configs(tmp_path)
    demo = load_demo_tool()
    monkeypatch.setitem(demo.TEACHER_CONFIGS, 'ce-drw', str(configs['teacher']))
    monkeypatch.setattr(demo, 'STAGES', tuple(
        (stage, None if stage == 'teacher' else str(configs[stage]), label)
        for stage, _, label in demo.STAGES))
    # The analyses at the end on fewer images than the demo's (the test set has 500).
    monkeypatch.setattr(demo, 'ATTENTION_IMAGES', 50)
    monkeypatch.setattr(demo, 'FEATURE_RANK_IMAGES', 200)
    work_dir = tmp_path / 'demo'
    threads = torch.get_num_threads()  # the precision probe sets them
    try:
        demo.main(['--data-root', str(data_root), '--work-dir', str(work_dir),
                   '--threads', '1'])
    finally:
        torch.set_num_threads(threads)
    console = capfd.readouterr()
    stdout = console.out

    summary = json.loads((work_dir / 'summary.json').read_text())
    assert set(summary['wall_s']) == {'teacher', 'deitlt', 'baseline', 'analyses', 'total'}
    table_lines = summary['table'].splitlines()
    rows = {line.split('|')[0].strip(): [cell.strip() for cell in line.split('|')[1:]]
            for line in table_lines[2:]}
    assert list(rows) == ['teacher ResNet20', 'DeiT no distill', 'DeiT-LT CLS',
                          'DeiT-LT DIST', 'DeiT-LT AVG', 'DeiT-LT TEACHER']
    assert [cell.strip() for cell in table_lines[0].split('|')] == [
        '', 'overall', 'head', 'mid', 'tail']
    assert summary['table'] in stdout
    assert '== textures-LT (IF100), balanced test set, top-1 %' in stdout  # the data's name
    # The teacher and the baseline are plain classifiers, the student has three predictions
    # and its teacher's: the first stage's checkpoint, seen at the same 32 px -> the same
    # figures.
    long_tail = summary['long_tail']
    assert {label: list(results['predictions']) for label, results in long_tail.items()} == {
        'teacher ResNet20': ['pred'], 'DeiT-LT': ['avg', 'cls', 'dist', 'teacher'],
        'DeiT no distill': ['pred']}
    assert rows['DeiT-LT TEACHER'] == rows['teacher ResNet20']
    teacher_flagged = long_tail['DeiT-LT']['teacher_check']['degenerate']
    assert (len(summary['warnings']) == 1) == teacher_flagged
    assert ('WARNING: the teacher of DeiT-LT looks degenerate' in stdout) == teacher_flagged

    # What the demo shows, on other data: a teacher far above chance (10 %; measured 89 and
    # 91 % with data seeds 0 and 1), and a DIST token that, distilled from it with
    # re-weighting, predicts the tail where the baseline does not (tail 100 and 67 %
    # against 0).
    teacher = long_tail['teacher ResNet20']['predictions']['pred']
    dist = long_tail['DeiT-LT']['predictions']['dist']
    baseline = long_tail['DeiT no distill']['predictions']['pred']
    assert teacher['top1'] >= 60, summary['table']
    assert not teacher_flagged
    assert dist['tail'] >= baseline['tail'] + 25, summary['table']

    counts = [300, 179, 107, 64, 38, 23, 13, 8, 5, 3]  # int(300 * 0.01 ** (c / 9)), + seed
    for stage in ('teacher', 'deitlt', 'baseline'):
        results = json.loads((work_dir / stage / 'results.json').read_text())
        assert 'long_tail/top1' in results['metrics'] or \
            'long_tail/dist/tail' in results['metrics']
        stage_long_tail = results['long_tail']['long_tail']
        assert len(stage_long_tail['class_groups']) == 10
        # The training counts came with the checkpoint (TrainClassCountsHook): the test
        # run never builds the training set.
        assert stage_long_tail['train_class_counts'] == counts
        assert (work_dir / stage / 'per_class.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    # Each stage ran its budget of iterations in as many epochs as 737 images in batches
    # of 32 take (24 per epoch), and saved once, after the last; the test evaluated that
    # checkpoint. Train and test of a stage each log into a timestamped folder.
    logs = {stage: '\n'.join(log.read_text() for log in (work_dir / stage).glob('*/*.log'))
            for stage in ('teacher', 'deitlt', 'baseline')}
    # A quiet console: banners, one progress line a stage, the table, the files written;
    # mmengine's environment and config dumps and the hook table only in the logs.
    console_lines = (console.out + console.err).count('\n')
    assert console_lines <= MAX_CONSOLE_LINES, console.out + console.err
    for dump in ('System environment:', 'Config:', 'Hooks will be executed'):
        assert dump not in console.out + console.err
        for stage in logs:
            assert logs[stage].count(dump) == 2, (stage, dump)  # train and test
    assert 'MultiScaleDeformableAttention' not in console.err
    for stage in logs:
        assert 'Epoch(train) [4][20/24]' in (work_dir / stage / 'console.log').read_text()
    for stage, epochs in (('teacher', 5), ('deitlt', 5), ('baseline', 5)):  # 100, 120, 120
        assert logs[stage].count('Saving checkpoint at') == 1
        assert f'Saving checkpoint at {epochs} epochs' in logs[stage]
    # The student was distilled from the teacher this run trained, with DRW and no Mixup
    # over its last 1/6 (the config's 390 of 468 iterations: 100 of 120), the teacher
    # from half-way.
    assert str(work_dir / 'teacher' / 'epoch_5.pth') in logs['deitlt']
    assert 'DRWHook: iteration 100: DRW on, batch augments off' in logs['deitlt']
    assert 'DRWHook: iteration 50: DRW on.' in logs['teacher']
    assert 'Epoch(val)' not in logs['deitlt']  # the test stage evaluates instead
    # The analyses of the two students, linked from the summary.
    analyses = summary['analyses']
    assert set(analyses) == {
        'attention_distance', 'attention_distance_json', 'feature_rank_deitlt',
        'feature_rank_deitlt_json', 'feature_rank_baseline', 'feature_rank_baseline_json',
        'runs_table', 'runs_csv', 'runs_per_class'}
    for name, path in analyses.items():
        assert Path(path).is_file() and work_dir / 'analysis' in Path(path).parents, name
        assert f'  {name}: {path}' in stdout
    distance = json.loads(Path(analyses['attention_distance_json']).read_text())['models']
    assert list(distance) == ['DeiT-LT', 'DeiT no distill']
    assert distance['DeiT-LT']['num_images'] == 50  # ATTENTION_IMAGES, set above
    assert len(distance['DeiT-LT']['layers']) == 4
    assert list(json.loads(Path(analyses['feature_rank_baseline_json']).read_text())[
        'tokens']) == ['cls']
    assert Path(analyses['runs_table']).read_text().count('\n| deitlt |') == 4
    # Training precision: auto picks bf16 or fp32 for this CPU; the stages follow it.
    assert summary['precision'] in ('bf16', 'fp32')
    assert f'training precision: {summary["precision"]} ({summary["precision_reason"]})' \
        in stdout
    assert ('mixed precision: bfloat16 autocast on cpu' in logs['deitlt']) == (
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
    ([], 'configs/demo/resnet20_fmnist_lt_teacher.py'),
    (['--teacher', 'paco'], 'configs/demo/resnet20_paco_fmnist_lt_teacher.py'),
])
def test_teacher_option_picks_the_teacher_recipe(tmp_path, monkeypatch, argv, config):
    demo = load_demo_tool()
    calls = []

    class FirstCommand(Exception):
        pass

    def record_first(argvs, threads, *console):
        calls.append(argvs)
        raise FirstCommand

    monkeypatch.setattr(demo, 'ensure_data', lambda data_root: None)
    monkeypatch.setattr(demo, 'run_tools', record_first)
    with pytest.raises(FirstCommand):
        demo.main([*argv, '--work-dir', str(tmp_path)])
    assert calls[0][0][:2] == ['tools/train.py', config] and (REPO / config).is_file()
    with pytest.raises(SystemExit):
        demo.parse_args(['--teacher', 'ldam'])
