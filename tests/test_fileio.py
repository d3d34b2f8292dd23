import errno
import json
import os

import pytest
import torch
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

from deitlt_mm.errors import CheckpointError, CheckpointNotFoundError, FileWriteError
from deitlt_mm.fileio import (
    AtomicLocalBackend,
    atomic_write,
    check_writable,
    dump_json_atomic,
    load_checkpoint_file,
    remove_stale_temp_files,
    resolve_checkpoint_path,
)


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / 'sub' / 'r.json'
    dump_json_atomic({'a': 1.5}, path)
    assert json.loads(path.read_text()) == {'a': 1.5}
    atomic_write(path, 'new')
    assert path.read_text() == 'new'
    assert os.listdir(path.parent) == ['r.json']  # no temp file left


@pytest.mark.parametrize('umask', [0o022, 0o077])
def test_atomic_write_gives_the_permissions_of_a_plain_write(tmp_path, umask):
    # mkstemp's temp file is 0600; a checkpoint on a shared cluster must be readable as
    # any file the user writes.
    old = os.umask(umask)
    try:
        atomic_write(tmp_path / 'a.pth', b'x')
        with open(tmp_path / 'b.pth', 'wb') as f:
            f.write(b'x')
    finally:
        os.umask(old)
    assert (tmp_path / 'a.pth').stat().st_mode & 0o777 == 0o666 & ~umask
    assert (tmp_path / 'a.pth').stat().st_mode & 0o777 == \
        (tmp_path / 'b.pth').stat().st_mode & 0o777


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


def test_disk_full_names_the_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / 'epoch_3.pth'

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, 'fsync', disk_full)
    with pytest.raises(FileWriteError) as error:
        atomic_write(path, b'weights')
    assert error.value.errno == errno.ENOSPC
    assert str(error.value) == (f'could not write {path}: [Errno 28] No space left on device; '
                                'the previous file, if any, is unchanged')
    assert os.listdir(tmp_path) == []


def test_check_writable_creates_the_folder_or_names_why_not(tmp_path):
    check_writable(tmp_path / 'new' / 'deeper' / 'results.json', what='--out')
    assert (tmp_path / 'new' / 'deeper').is_dir()
    assert os.listdir(tmp_path / 'new' / 'deeper') == []  # the probe file is gone
    (tmp_path / 'file').write_text('x')
    with pytest.raises(FileWriteError, match=f'--out {tmp_path}/file/r.json: {tmp_path}/file '
                                             'is a file, not a folder'):
        check_writable(tmp_path / 'file' / 'r.json', what='--out')
    with pytest.raises(FileWriteError, match=r'cannot write to folder .*file/sub \(Not a '
                                             r'directory\); choose a writable path'):
        check_writable(tmp_path / 'file' / 'sub' / 'r.json', what='--out')


@pytest.mark.skipif(os.geteuid() == 0, reason='root writes into read-only folders')
def test_check_writable_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / 'ro'
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(FileWriteError, match=r'cannot write to folder .*ro \(Permission'):
            check_writable(folder / 'r.json', what='--out')
    finally:
        folder.chmod(0o700)


def test_stale_temp_files_are_recognised_by_their_exact_pattern(tmp_path):
    stale = ['.epoch_2.pth.a1b2c3d4.tmp', '.last_checkpoint.____abcd.tmp', '.r.json.zzzzzzzz.tmp']
    kept = ['.epoch_2.pth.tmp', 'epoch_2.pth', '.hidden', 'x.a1b2c3d4.tmp', '.A.ABCDEFGH.tmp']
    for name in stale + kept:
        (tmp_path / name).write_text('x')
    (tmp_path / '.d.a1b2c3d4.tmp').mkdir()  # not a file: kept
    removed = remove_stale_temp_files(tmp_path)
    assert sorted(p.name for p in removed) == sorted(stale)
    assert sorted(os.listdir(tmp_path)) == sorted(kept + ['.d.a1b2c3d4.tmp'])


class _RunsShell:
    def __reduce__(self):
        return (os.system, ('touch ran-code',))


def _save(path, legacy=False, **extra):
    torch.save({'state_dict': {'w': torch.ones(4)}, **extra}, path,
               _use_new_zipfile_serialization=not legacy)
    return path


def test_checkpoint_reads_name_the_file_and_the_problem(tmp_path):
    good = _save(tmp_path / 'good.pth')
    assert load_checkpoint_file(good)['state_dict']['w'].sum() == 4
    data = good.read_bytes()
    cases = {
        'missing.pth': None,
        'empty.pth': b'',
        'text.pth': b'not a checkpoint',
        'cut.pth': data[:len(data) // 2],
        'cut_legacy.pth': _save(tmp_path / 'l.pth', legacy=True).read_bytes()[:60],
    }
    expected = {
        'missing.pth': (CheckpointNotFoundError, 'checkpoint not found: {}$'),
        'empty.pth': (CheckpointError, 'truncated or corrupt \\(empty file\\)'),
        'text.pth': (CheckpointError, 'truncated or corrupt \\(not a torch.save file\\)'),
        'cut.pth': (CheckpointError, 'truncated or corrupt \\(zip archive: '),
        'cut_legacy.pth': (CheckpointError, 'truncated or corrupt \\(legacy pickle: '),
    }
    for name, data in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        error_type, pattern = expected[name]
        with pytest.raises(error_type, match=pattern.format(path)) as error:
            load_checkpoint_file(path)
        assert str(path) in str(error.value) and '\n' not in str(error.value)


@pytest.mark.parametrize('legacy', [False, True], ids=['zip', 'legacy'])
def test_code_in_a_checkpoint_is_refused_even_with_weights_only_forced_off(
        tmp_path, monkeypatch, legacy):
    path = _save(tmp_path / 'teacher.pth', legacy=legacy, hook=_RunsShell())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    what = 'this legacy \\(non-zip\\) torch.save file' if legacy else 'it'
    with pytest.raises(CheckpointError, match=f'refusing to load {path}: {what} pickles '
                                              'posix.system, which weights-only loading '
                                              'refuses because unpickling them can run code'):
        load_checkpoint_file(path)
    assert not (tmp_path / 'ran-code').exists()


def test_a_work_dir_stands_for_the_checkpoint_its_last_checkpoint_names(tmp_path):
    checkpoint = tmp_path / 'epoch_3.pth'
    checkpoint.write_bytes(b'x')
    assert resolve_checkpoint_path(checkpoint) == str(checkpoint)
    with pytest.raises(CheckpointNotFoundError, match=f'^no checkpoint in work dir {tmp_path}: '
                       'it has no last_checkpoint file'):
        resolve_checkpoint_path(tmp_path)
    (tmp_path / 'last_checkpoint').write_text(f'{checkpoint}\n')
    assert resolve_checkpoint_path(tmp_path) == str(checkpoint)
    checkpoint.unlink()
    with pytest.raises(CheckpointNotFoundError, match=f'^checkpoint not found: {checkpoint} '
                       rf'\(named by {tmp_path}/last_checkpoint\)$'):
        resolve_checkpoint_path(tmp_path)
    with pytest.raises(CheckpointNotFoundError, match=f'^checkpoint not found: {checkpoint}$'):
        resolve_checkpoint_path(checkpoint)


def test_resolve_checkpoint_path_best_or_latest_of_a_work_dir(tmp_path):
    from deitlt_mm.errors import CheckpointNotFoundError
    from deitlt_mm.fileio import resolve_checkpoint_path
    latest = tmp_path / 'epoch_9.pth'
    latest.write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(latest))
    with pytest.raises(CheckpointNotFoundError, match=r'no single best checkpoint in work dir '
                       r'.* \(best_\*\.pth files: none\); configs with'):
        resolve_checkpoint_path(tmp_path, 'best')
    best = tmp_path / 'best_long_tail_avg_top1_epoch_4.pth'
    best.write_bytes(b'x')
    assert resolve_checkpoint_path(tmp_path, 'best') == str(best)
    assert resolve_checkpoint_path(tmp_path) == str(latest)
