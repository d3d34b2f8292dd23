"""The process set-up deitlt_mm's runs need on mmengine 0.10.7 and current torch.

:func:`setup_env` applies it; our tools, ``deitlt_mm.apis`` and the test suite call it,
importing ``deitlt_mm`` never does (mmpretrain in the same process keeps mmengine's
stock behaviour until a caller asks for this). What it changes:

1. **Resume / ``load_from`` under ``weights_only=True``.** Since torch 2.6
   ``torch.load`` refuses every global that is not allow-listed, and the
   checkpoints mmengine writes hold its ``HistoryBuffer`` log objects (numpy arrays
   inside, plus ``getattr(HistoryBuffer, 'mean')``-style references to its
   statistics methods). Instead of switching ``weights_only`` off, which would
   let any foreign checkpoint run code, we allow exactly those objects: the
   ``HistoryBuffer`` class, plain numpy arrays / dtypes / scalars, and a
   ``getattr`` that only resolves HistoryBuffer's own methods. Teachers and
   published students keep loading with ``weights_only=True``, and a pickle that
   asks for anything else still fails.
2. **Atomic checkpoints.** mmengine's local backend writes checkpoints in
   place; :class:`deitlt_mm.fileio.AtomicLocalBackend` replaces it for plain
   paths, so an interrupted save never leaves a truncated file to resume from.
   (``last_checkpoint`` is written by the checkpoint hook:
   :class:`deitlt_mm.engine.hooks.AtomicCheckpointHook`.)
3. **Weights-only loads, whatever the environment.** mmengine's local checkpoint
   loader calls ``torch.load`` without ``weights_only``, so
   ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns every ``load_from`` / resume into a
   full unpickle that runs any code in the file. :func:`load_local_checkpoint`
   replaces that loader with :func:`deitlt_mm.fileio.load_checkpoint_file`
   (``weights_only=True`` explicitly, one clear error for a missing, truncated,
   corrupt or code-carrying file). ``http(s)://`` addresses (``load_from``, ``--resume``)
   get the same reader through :func:`load_url_checkpoint`: mmengine's
   ``load_from_http`` would unpickle the download with ``weights_only=False``.
4. **Default scope ``deitlt_mm``**, as a Runner of our configs sets it: mmpretrain
   classes that build their parts (``ImageClassifier`` -> backbone) find our
   components too.

Distributed training on CPU is started by :mod:`deitlt_mm.runtime.distributed`.
"""
import os
import pickle
import warnings

import numpy as np
import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as mmengine_io
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.registry import init_default_scope
from mmengine.runner import CheckpointLoader

from ..fileio import URL_PREFIXES, AtomicLocalBackend, load_checkpoint_file
from ..registry import SCOPE

# torch's switch to full pickle loads where a call does not pass weights_only.
NO_WEIGHTS_ONLY_ENV = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
# HistoryBuffer registers these four itself; custom ones via register_statistics.
_DEFAULT_STATISTICS = frozenset({'min', 'max', 'current', 'mean'})


def _history_buffer_getattr(obj, name: str):
    """Stand-in for ``builtins.getattr`` while unpickling with weights_only.

    mmengine pickles ``HistoryBuffer._statistics_methods`` as
    ``getattr(HistoryBuffer, '<method>')``. A general ``getattr`` would reach any
    attribute of any allowed object, so only that exact form is accepted.
    """
    allowed = _DEFAULT_STATISTICS.union(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'weights_only load: refusing getattr({obj!r}, {name!r}); only '
        'HistoryBuffer statistics methods may be looked up this way.')


def _numpy_globals():
    """The numpy objects a pickled ``np.ndarray`` / numpy scalar refers to."""
    multiarray = np.core.multiarray if hasattr(np, 'core') else np._core.multiarray
    found = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar]
    # numpy >= 1.25 pickles dtypes through their classes (np.dtypes.Float64DType, ...).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith('DType')]
    return found


MMENGINE_CHECKPOINT_GLOBALS = [
    HistoryBuffer,
    (_history_buffer_getattr, 'builtins.getattr'),
    *_numpy_globals(),
]


def allow_mmengine_checkpoints() -> None:
    """Allow-list what mmengine's own checkpoints contain for weights_only loads."""
    torch.serialization.add_safe_globals(MMENGINE_CHECKPOINT_GLOBALS)


def use_atomic_local_backend() -> None:
    """Make mmengine write local files (checkpoints included) atomically."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    # Drop stock local backends that were created (and cached) before this.
    for key, backend in list(mmengine_io.backend_instances.items()):
        if isinstance(backend, LocalBackend) and not isinstance(backend, AtomicLocalBackend):
            del mmengine_io.backend_instances[key]


def load_local_checkpoint(filename: str, map_location=None):
    """mmengine's loader of local checkpoint paths, with ``weights_only=True`` forced."""
    return load_checkpoint_file(os.path.expanduser(filename), map_location=map_location)


def load_url_checkpoint(filename: str, map_location=None):
    """mmengine's loader of ``http(s)://`` checkpoints, weights-only: the file is
    downloaded into the cache ``load_from_http`` uses and read like a local one."""
    return load_checkpoint_file(filename, map_location=map_location)


def use_weights_only_local_loader() -> None:
    """Make mmengine read local checkpoints with :func:`load_local_checkpoint` and
    ``http(s)://`` ones with :func:`load_url_checkpoint`.

    Says so when ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` asks torch for full pickle loads.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    CheckpointLoader.register_scheme(prefixes=URL_PREFIXES, loader=load_url_checkpoint,
                                     force=True)
    if os.environ.get(NO_WEIGHTS_ONLY_ENV, '0').lower() in ('1', 'y', 'yes', 'true'):
        warnings.warn(f'{NO_WEIGHTS_ONLY_ENV} is set, but deitlt_mm still loads checkpoints '
                      'with weights_only=True and refuses code in them (docs/bad_inputs.md).',
                      stacklevel=2)


def setup_env() -> None:
    """Apply the set-up above to this process; calling it again changes nothing more.

    Call it once before building a Runner or loading a checkpoint through mmengine.
    """
    allow_mmengine_checkpoints()
    use_atomic_local_backend()
    if CheckpointLoader._schemes.get('') is not load_local_checkpoint:
        use_weights_only_local_loader()
    init_default_scope(SCOPE)
