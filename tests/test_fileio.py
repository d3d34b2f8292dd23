import json
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

from deitlt_mm.fileio import AtomicLocalBackend, atomic_write, dump_json_atomic


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / 'sub' / 'r.json'
    dump_json_atomic({'a': 1.5}, path)
    assert json.loads(path.read_text()) == {'a': 1.5}
    atomic_write(path, 'new')
    assert path.read_text() == 'new'
    assert os.listdir(path.parent) == ['r.json']  # no temp file left


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / 'ckpt.pth'
    path.write_bytes(b'old')

    def crash(fd):
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', crash)
    with pytest.raises(OSError, match='disk full'):
        atomic_write(path, b'new-but-interrupted')
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['ckpt.pth']


def test_mmengine_checkpoints_go_through_the_atomic_backend(tmp_path, monkeypatch):
    assert isinstance(get_file_backend(str(tmp_path / 'x.pth')), AtomicLocalBackend)
    path = tmp_path / 'epoch_1.pth'
    save_checkpoint({'state_dict': {'w': torch.ones(2)}}, str(path))
    assert torch.load(path)['state_dict']['w'].sum() == 2

    monkeypatch.setattr(os, 'fsync', lambda fd: (_ for _ in ()).throw(OSError('killed')))
    with pytest.raises(OSError):
        save_checkpoint({'state_dict': {'w': torch.zeros(2)}}, str(path))
    assert torch.load(path)['state_dict']['w'].sum() == 2  # the previous save survives
