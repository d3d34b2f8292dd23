"""Safe file I/O: atomic writes, write checks, and weights-only checkpoint reads.

A crash mid-write never leaves a half-written file, and every way a write or a
checkpoint read can fail is one :class:`deitlt_mm.errors.RunError` naming the file.
"""
import argparse
import json
import os
import pathlib
import pickle
import pickletools
import re
import tempfile
import urllib.error
import urllib.parse
import zipfile
from pathlib import Path
from typing import List, Union

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info
from mmengine.fileio.backends import LocalBackend
from mmengine.runner.checkpoint import find_latest_checkpoint

from .errors import CheckpointError, CheckpointNotFoundError, FileWriteError

PathLike = Union[str, Path]

# Globals that published training scripts pickle next to the weights (argparse
# `args` of DeiT-style checkpoints, with paths inside), allowed in every checkpoint
# read. mmengine's own checkpoint objects are allowed globally by deitlt_mm.runtime.setup_env.
SAFE_CHECKPOINT_GLOBALS = [argparse.Namespace, pathlib.PosixPath, pathlib.WindowsPath]

# Checkpoints named by these prefixes are downloaded (see download_checkpoint).
URL_PREFIXES = ('http://', 'https://')

# `.<name>.<8 random chars>.tmp`: the temp files of atomic_write (tempfile.mkstemp).
_TEMP_FILE = re.compile(r'^\..+\.[a-z0-9_]{8}\.tmp$')


def atomic_write(path: PathLike, data: Union[bytes, str], encoding: str = 'utf-8'):
    """Write ``data`` to ``path`` through a temp file in the same folder + rename.

    ``os.replace`` is atomic on POSIX and Windows, so readers see either the old
    file or the complete new one. Parent folders are created. The file gets the
    permissions of a plain ``open(path, 'w')`` under the process's umask (the temp
    file ``mkstemp`` makes is private to its owner; checkpoints and results on a
    shared cluster are for others to read too).

    Raises:
        FileWriteError: naming ``path`` when it cannot be written (e.g. disk full);
            the old file, if any, is unchanged and no temp file is left.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode(encoding)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.fchmod(f.fileno(), 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as error:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(error, OSError) and not isinstance(error, FileWriteError):
            raise _write_error(path, error) from error
        raise


def _umask() -> int:
    # The only way to read the umask is to set it; set it straight back.
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _write_error(path: Path, error: OSError) -> FileWriteError:
    wrapped = FileWriteError(f'could not write {path}: {error}; the previous file, if any, '
                             'is unchanged')
    wrapped.errno = error.errno
    return wrapped


def dump_json_atomic(obj, path: PathLike) -> None:
    """``json.dump`` with :func:`atomic_write` (indent 2, keys kept in order)."""
    atomic_write(path, json.dumps(obj, indent=2) + '\n')


def check_writable(path: PathLike, what: str = 'output') -> None:
    """Make sure ``path`` can be written later: create its folder and a probe file in it.

    Raises:
        FileWriteError: ``<what> <path>: cannot write to folder <folder> (<reason>)``
            (or: ``<folder> is a file``).
    """
    folder = Path(path).parent
    if folder.exists() and not folder.is_dir():
        raise FileWriteError(f'{what} {path}: {folder} is a file, not a folder; choose a '
                             'writable path')
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f'.{Path(path).name}.', suffix='.tmp')
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        reason = error.strerror or str(error)
        raise FileWriteError(f'{what} {path}: cannot write to folder {folder} ({reason}); '
                             'choose a writable path') from error


def remove_stale_temp_files(folder: PathLike) -> List[Path]:
    """Delete the temp files that an interrupted :func:`atomic_write` left in ``folder``.

    Returns:
        list[Path]: the removed files.
    """
    removed = []
    for path in sorted(Path(folder).iterdir()):
        if _TEMP_FILE.match(path.name) and path.is_file():
            path.unlink()
            removed.append(path)
    return removed


class AtomicLocalBackend(LocalBackend):
    """mmengine's local storage backend whose writes are atomic.

    mmengine writes checkpoints through ``put``; the stock backend opens the target
    in place, so an interrupted save leaves a truncated checkpoint that ``--resume``
    then picks up. (``last_checkpoint`` is written by the checkpoint hook itself,
    see :class:`deitlt_mm.engine.hooks.AtomicCheckpointHook`.)
    """

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(filepath, obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj, encoding=encoding)


def is_url(path: PathLike) -> bool:
    """Whether ``path`` is an ``http://`` or ``https://`` address."""
    return isinstance(path, str) and path.startswith(URL_PREFIXES)


def download_checkpoint(url: str) -> str:
    """The local copy of the checkpoint at ``url``, downloaded once into the download
    cache of mmengine and torch.hub (``<torch.hub.get_dir()>/checkpoints/<file name>``,
    ``$TORCH_HOME/hub/checkpoints`` by default), the folder mmengine's ``load_from_http``
    uses; a file already there is used as it is.

    Only the download is shared with mmengine: its ``load_from_http`` unpickles with
    ``weights_only=False``, so the file is read by :func:`load_checkpoint_file`. As
    ``load_from_http``, in a distributed run rank 0 downloads first and the other ranks
    then find the file in the cache. ``torch.hub.download_url_to_file`` writes to a temp
    file and renames it, so a broken download never leaves a partial checkpoint.

    Raises:
        CheckpointNotFoundError: the server cannot be reached or answers with an error.
    """
    name = os.path.basename(urllib.parse.unquote(urllib.parse.urlparse(url).path))
    cached = Path(torch.hub.get_dir()) / 'checkpoints' / name
    rank, world_size = get_dist_info()
    if rank == 0:
        _download_once(url, cached)
    if world_size > 1:
        torch_dist.barrier()
        if rank > 0:
            _download_once(url, cached)
    return str(cached)


def _download_once(url: str, cached: Path) -> None:
    if cached.is_file():
        return
    cached.parent.mkdir(parents=True, exist_ok=True)
    try:
        torch.hub.download_url_to_file(url, str(cached), progress=False)
    except (urllib.error.URLError, OSError, ValueError) as error:
        # HTTPError says 'HTTP Error 404: ...'; a URLError's reason is the socket error.
        reason = error if isinstance(error, urllib.error.HTTPError) else (
            getattr(error, 'reason', None) or error)
        raise CheckpointNotFoundError(
            f'cannot download checkpoint {url}: {reason}; check the address and the '
            f'network, or download the file yourself and pass its path') from error


def resolve_checkpoint_path(path: PathLike, which: str = 'latest') -> str:
    """A checkpoint file's path: ``path`` itself; for an ``http(s)://`` address the
    local copy of :func:`download_checkpoint`; or for a work dir of ``tools/train.py``
    its latest checkpoint, the one its ``last_checkpoint`` file names (what ``--resume``
    takes), or with ``which='best'`` its best one, the ``best_<key>_epoch_<n>.pth`` that
    ``CheckpointHook(save_best=<key>)`` keeps.

    Raises:
        CheckpointNotFoundError: ``path`` does not exist, is a work dir without a
            ``last_checkpoint`` file (without one best checkpoint), or that file names a
            missing checkpoint; or the address cannot be downloaded.
    """
    if is_url(path):
        return download_checkpoint(path)
    path = Path(path)
    if path.is_dir() and which == 'best':
        best = sorted(path.glob('best_*.pth'))
        if len(best) != 1:
            found = ', '.join(p.name for p in best) or 'none'
            raise CheckpointNotFoundError(
                f'no single best checkpoint in work dir {path} (best_*.pth files: {found}); '
                'configs with default_hooks.checkpoint.save_best keep one, from the first '
                'validation on; pass --which latest or a checkpoint file')
        return str(best[0])
    if path.is_dir():
        latest = find_latest_checkpoint(str(path))  # mmengine's reader of last_checkpoint
        if not latest:
            raise CheckpointNotFoundError(
                f'no checkpoint in work dir {path}: it has no last_checkpoint file (training '
                'writes it with each checkpoint); pass a checkpoint file, or the work dir of '
                'a run that saved one')
        if not Path(latest).is_file():
            raise CheckpointNotFoundError(
                f'checkpoint not found: {latest} (named by {path / "last_checkpoint"})')
        return latest
    if not path.is_file():
        raise CheckpointNotFoundError(f'checkpoint not found: {path}')
    return str(path)


def load_checkpoint_file(path: PathLike, map_location='cpu'):
    """``torch.load(path, weights_only=True)`` with one clear error per bad file.

    ``weights_only=True`` is passed explicitly, so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``
    in the environment does not switch it off. Allowed globals: torch's defaults,
    :data:`SAFE_CHECKPOINT_GLOBALS` and what ``torch.serialization.add_safe_globals``
    added (deitlt_mm.runtime.setup_env adds mmengine's log objects). An ``http(s)://``
    address is read from its local copy (:func:`download_checkpoint`).

    Raises:
        CheckpointNotFoundError: ``path`` does not exist (or cannot be downloaded).
        CheckpointError: the file needs globals outside the allowed set (loading them
            could run code), is truncated or corrupt, or torch cannot read it.
    """
    if is_url(path):
        path = download_checkpoint(path)
    path = Path(path)
    if not path.is_file():
        raise CheckpointNotFoundError(f'checkpoint not found: {path}')
    with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
        try:
            return torch.load(path, map_location=map_location, weights_only=True)
        except Exception as error:  # torch raises many types for a bad file
            raise _read_error(path, error) from error


def _read_error(path: Path, error: Exception) -> CheckpointError:
    damage = _damage(path)
    if damage is not None:
        return CheckpointError(
            f'cannot read checkpoint {path}: the file is truncated or corrupt ({damage}); '
            'use another checkpoint (e.g. an earlier epoch_*.pth) or save it again')
    if isinstance(error, pickle.UnpicklingError):
        what = 'it' if zipfile.is_zipfile(path) else 'this legacy (non-zip) torch.save file'
        return CheckpointError(
            f'refusing to load {path}: {what} pickles {_refused_globals(path, error)}, which '
            'weights-only loading refuses because unpickling them can run code; if you trust '
            'the file, re-save its weights without them (docs/bad_inputs.md)')
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return CheckpointError(f'cannot read checkpoint {path}: {detail}')


def _damage(path: Path):
    """Why ``path`` is not a complete torch.save file, or None when it looks whole."""
    with open(path, 'rb') as f:
        head = f.read(4)
    if head == b'PK\x03\x04':  # zip format (torch >= 1.6)
        try:
            with zipfile.ZipFile(path) as archive:
                bad_member = archive.testzip()
        except zipfile.BadZipFile as error:
            return f'zip archive: {error}'
        return None if bad_member is None else f'zip member {bad_member} fails its CRC'
    if not head.startswith(b'\x80'):
        return 'not a torch.save file' if head else 'empty file'
    # Legacy format: magic number, protocol, sys info and the object, four pickles.
    try:
        with open(path, 'rb') as f:
            for _ in range(4):
                for _ in pickletools.genops(f):
                    pass
    except Exception as error:  # genops raises ValueError / EOFError on a cut pickle
        return f'legacy pickle: {error}'
    return None


def _refused_globals(path: Path, error: Exception) -> str:
    if zipfile.is_zipfile(path):
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    else:  # torch names the first refused global in its message
        names = re.findall(r'GLOBAL ([\w.]+)', str(error))
    return ', '.join(sorted(set(names))) or 'objects outside the allowed set'
