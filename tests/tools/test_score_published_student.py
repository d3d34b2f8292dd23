"""tools/test.py scores a student without its teacher file: a reference-layout
``*_best_checkpoint.pth`` as published, the same file after tools/convert, and both
from an http:// address (a local server)."""
import json

import pytest
import torch

from deitlt_mm.runtime import student_cfg
from tests._http_server import serve_folder
from tests._tiny_vit import write_reference_student, write_tiny_paper_config
from tests._tools import load_tool

NO_TEACHER_LINE = 'does not exist: scoring the student alone (no TEACHER row)'


@pytest.fixture
def paper_setting(tmp_path, monkeypatch):
    """A tiny copy of the CIFAR-10-LT IF100 paper config, run from ``tmp_path`` where its
    teacher file (``checkpoints/teachers/resnet32_cifar10_if100.pth``) does not exist,
    a reference-layout student and its converted file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv('DEITLT_TEACHER_CKPT', raising=False)
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    config = write_tiny_paper_config(tmp_path / 'paper_tiny.py')
    published = tmp_path / 'published' / 'student_best_checkpoint.pth'
    published.parent.mkdir()
    write_reference_student(published, num_classes=10)
    converted = tmp_path / 'converted.pth'
    load_tool('convert/deitlt_student.py').main([str(published), str(converted)])
    return config, published, converted


def score(config, checkpoint, out, capsys, monkeypatch):
    """Run tools/test.py; returns its JSON and what it printed and logged (the logger's
    stream may be bound to an earlier test's capture, so log lines are recorded)."""
    logged = []
    monkeypatch.setattr(student_cfg, 'print_log', lambda message, **_: logged.append(message))
    load_tool('test.py').main([config, str(checkpoint), '--out', str(out),
                               '--work-dir', str(out.parent / 'work')])
    printed = capsys.readouterr()
    return json.loads(out.read_text()), '\n'.join([printed.out, printed.err, *logged])


def test_published_student_scores_without_teacher_as_after_conversion(paper_setting, tmp_path,
                                                                       capsys, monkeypatch):
    config, published, converted = paper_setting
    direct, direct_log = score(config, published, tmp_path / 'direct.json', capsys,
                               monkeypatch)
    after, after_log = score(config, converted, tmp_path / 'converted.json', capsys,
                             monkeypatch)
    for log in (direct_log, after_log):
        assert log.count(NO_TEACHER_LINE) == 1
        rows = {line.split()[0] for line in log.splitlines() if ' | ' in line}
        assert {'CLS', 'DIST', 'AVG'} <= rows and 'TEACHER' not in rows
    assert direct['metrics'] == after['metrics']
    assert set(direct['long_tail']['long_tail']['predictions']) == {'avg', 'cls', 'dist'}


def test_published_student_scores_from_an_http_address(paper_setting, tmp_path, capsys,
                                                       monkeypatch):
    config, published, converted = paper_setting
    local, _ = score(config, converted, tmp_path / 'local.json', capsys, monkeypatch)
    with serve_folder(published.parent) as base:
        remote, _ = score(config, f'{base}/{published.name}', tmp_path / 'remote.json', capsys,
                          monkeypatch)
    assert (tmp_path / 'hub' / 'checkpoints' / published.name).is_file()
    assert remote['metrics'] == local['metrics']
