"""AtomicCheckpointHook: a save killed at any moment leaves a resumable work dir."""
import os

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from deitlt_mm.errors import FileWriteError
from tests._runner_configs import tiny_classifier_cfg


def runner_saving_every_iteration(work_dir, max_iters, max_keep_ckpts=-1, resume=False):
    cfg = tiny_classifier_cfg(work_dir, max_iters=max_iters, val_interval=100)
    cfg['resume'] = resume
    cfg['default_hooks']['checkpoint'] = dict(
        type='AtomicCheckpointHook', interval=1, by_epoch=False, max_keep_ckpts=max_keep_ckpts)
    return Runner.from_cfg(Config(cfg))


def fail_fsync_of(name, monkeypatch):
    """Make the atomic write of the file ``name`` fail at its fsync (a kill would stop there)."""
    real_fsync = os.fsync

    def fsync(fd):
        if os.path.basename(os.readlink(f'/proc/self/fd/{fd}')).startswith(f'.{name}.'):
            raise OSError(28, 'No space left on device')
        real_fsync(fd)

    monkeypatch.setattr(os, 'fsync', fsync)


def test_last_checkpoint_is_replaced_atomically(tmp_path, monkeypatch):
    runner_saving_every_iteration(tmp_path, max_iters=1).train()
    last = tmp_path / 'last_checkpoint'
    assert last.read_text() == str(tmp_path / 'iter_1.pth')

    fail_fsync_of('last_checkpoint', monkeypatch)
    runner = runner_saving_every_iteration(tmp_path, max_iters=2, resume=True)
    with pytest.raises(FileWriteError, match='last_checkpoint'):
        runner.train()
    # iter_2.pth is complete, but last_checkpoint still names iter_1.pth, whole.
    assert (tmp_path / 'iter_2.pth').is_file()
    assert last.read_text() == str(tmp_path / 'iter_1.pth')
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.tmp')]


def test_outdated_checkpoint_is_removed_only_after_the_new_one_is_saved(tmp_path, monkeypatch):
    runner_saving_every_iteration(tmp_path, max_iters=1, max_keep_ckpts=1).train()
    fail_fsync_of('iter_2.pth', monkeypatch)
    runner = runner_saving_every_iteration(tmp_path, max_iters=2, max_keep_ckpts=1, resume=True)
    with pytest.raises(FileWriteError, match='iter_2.pth'):
        runner.train()
    # mmengine's hook deletes iter_1.pth first: last_checkpoint would name a lost file.
    assert (tmp_path / 'iter_1.pth').is_file()
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path / 'iter_1.pth')
    assert not (tmp_path / 'iter_2.pth').exists()


def test_stale_temp_files_of_a_killed_save_are_removed_at_start(tmp_path):
    stale = ['.iter_3.pth.k2x_9q0a.tmp', '.last_checkpoint.abcdefgh.tmp']
    kept = ['notes.tmp', '.iter_3.pth.tmp', 'iter_0.pth']
    for name in stale + kept:
        (tmp_path / name).write_bytes(b'partial')
    runner_saving_every_iteration(tmp_path, max_iters=1).train()
    names = set(os.listdir(tmp_path))
    assert not names & set(stale)
    assert set(kept) <= names
