"""tools/data/check_data.py: one screen of findings, exit 1 on any error, 0 on a clean root."""
import pytest

from deitlt_mm.datasets import data_check
from tests._data_roots import (
    DEFECTS,
    LOADERS,
    PAPER_CONFIG,
    TINY_SIZES,
    write_imagenet_lt_root,
)
from tests._stub_data import write_cifar
from tests._tools import load_tool

CIFAR_CONFIG = PAPER_CONFIG.parent / 'deitlt_b_cifar10_if100.py'


def _check(config, root, *options):
    """Exit status and stdout lines of the tool on ``config`` with every loader on ``root``."""
    roots = [f'{loader}.dataset.data_root={root}' for loader in LOADERS]
    tool = load_tool('data/check_data.py')
    try:
        tool.main([str(config), '--no-progress', '--cfg-options', *roots, *options])
    except SystemExit as exit_info:
        return exit_info.code
    return 0


@pytest.fixture
def tiny_sizes(monkeypatch):
    for name, size in TINY_SIZES.items():
        monkeypatch.setitem(data_check.KNOWN_SIZES, name, size)


def test_clean_root_exits_0(tmp_path, tiny_sizes, capsys):
    write_imagenet_lt_root(tmp_path)
    assert _check(PAPER_CONFIG, tmp_path) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f'Data check of {PAPER_CONFIG}'
    assert lines[-1] == 'No errors.'
    assert lines[1] == f'train_dataloader: ImageNetLT, split train, data_root {tmp_path}'


@pytest.mark.parametrize('kind', sorted(DEFECTS))
def test_each_defect_exits_1(tmp_path, tiny_sizes, capsys, kind):
    DEFECTS[kind](write_imagenet_lt_root(tmp_path))
    assert _check(PAPER_CONFIG, tmp_path) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1].endswith('error(s): fix them before training.')
    assert len(out.splitlines()) <= 12


def test_cifar_md5_mismatch_exits_1(tmp_path, capsys):
    write_cifar(tmp_path, 10)
    assert _check(CIFAR_CONFIG, tmp_path) == 1
    out = capsys.readouterr().out
    assert f'error: CIFAR10LT: {tmp_path}/cifar-10-batches-py/test_batch has md5 ' in out
    assert 'verify_md5=False' in out


def test_a_missing_config_is_one_line(tmp_path):
    assert _check(tmp_path / 'nope.py', tmp_path) == f'error: config file not found: ' \
        f'{tmp_path / "nope.py"}'
