"""Atomic file writes: a crash mid-write never leaves a half-written file."""
import json
import os
import tempfile
from pathlib import Path
from typing import Union

from mmengine.fileio.backends import LocalBackend


def atomic_write(path: Union[str, Path], data: Union[bytes, str], encoding: str = 'utf-8'):
    """Write ``data`` to ``path`` through a temp file in the same folder + rename.

    ``os.replace`` is atomic on POSIX and Windows, so readers see either the old
    file or the complete new one. Parent folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode(encoding)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dump_json_atomic(obj, path: Union[str, Path]) -> None:
    """``json.dump`` with :func:`atomic_write` (indent 2, keys kept in order)."""
    atomic_write(path, json.dumps(obj, indent=2) + '\n')


class AtomicLocalBackend(LocalBackend):
    """mmengine's local storage backend whose writes are atomic.

    mmengine writes checkpoints and ``last_checkpoint`` through ``put`` /
    ``put_text``; the stock backend opens the target in place, so an interrupted
    save leaves a truncated checkpoint that ``--resume`` then picks up.
    """

    def put(self, obj: bytes, filepath) -> None:
        atomic_write(filepath, obj)

    def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
        atomic_write(filepath, obj, encoding=encoding)
