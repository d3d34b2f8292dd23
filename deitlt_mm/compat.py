"""The fixes mmengine 0.10.7 needs on current torch, all in one place.

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
2. **Distributed training on CPU.** mmengine's ``pytorch`` launcher calls
   ``torch.cuda.set_device`` and its runner wraps DDP with
   ``device_ids=[local_rank]``; both fail without CUDA.
   :func:`init_distributed` starts a gloo process group itself on CPU (the
   runner then skips its own CUDA-only set-up) and
   :class:`DeviceAwareDistributedDataParallel`, the default model wrapper in
   ``configs/_base_/default_runtime.py``, drops ``device_ids`` for CPU modules.
   On GPUs both leave mmengine's NCCL path as it is.
3. **Atomic checkpoints.** mmengine's local backend writes checkpoints in
   place; :class:`deitlt_mm.fileio.AtomicLocalBackend` replaces it for plain
   paths, so an interrupted save never leaves a truncated file to resume from.
   (``last_checkpoint`` is written by the checkpoint hook:
   :class:`deitlt_mm.engine.hooks.AtomicCheckpointHook`.)
4. **Weights-only loads, whatever the environment.** mmengine's local checkpoint
   loader calls ``torch.load`` without ``weights_only``, so
   ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns every ``load_from`` / resume into a
   full unpickle that runs any code in the file. :func:`load_local_checkpoint`
   replaces that loader with :func:`deitlt_mm.fileio.load_checkpoint_file`
   (``weights_only=True`` explicitly, one clear error for a missing, truncated,
   corrupt or code-carrying file).
"""
import datetime
import os
import pickle
import warnings
from typing import Optional

import numpy as np
import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio import io as mmengine_io
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model import MMDistributedDataParallel
from mmengine.runner import CheckpointLoader

from .fileio import AtomicLocalBackend, load_checkpoint_file
from .registry import MODEL_WRAPPERS
from .runtime.slurm import set_torch_env_from_slurm

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


def init_distributed(launcher: str, timeout_s: Optional[float] = None) -> None:
    """Start the process group on CPU, where mmengine's launchers cannot.

    Call before building the Runner. With CUDA, or with ``launcher='none'``, this
    does nothing and mmengine initialises NCCL as usual. On CPU with the
    ``pytorch`` launcher (torchrun) it joins a gloo group from the ``env://``
    variables torchrun sets, with the ``slurm`` launcher from Slurm's
    (:func:`deitlt_mm.runtime.slurm.set_torch_env_from_slurm`); mmengine then sees
    an initialised group and skips its ``torch.cuda.set_device`` call.
    ``timeout_s`` (``env_cfg.dist_cfg.timeout``, which mmengine passes on GPUs) bounds
    every collective; None keeps torch's default.
    """
    if launcher == 'none' or torch.cuda.is_available() or is_distributed():
        return
    if launcher == 'slurm':
        set_torch_env_from_slurm()
    elif launcher != 'pytorch':
        raise RuntimeError(f'--launcher {launcher} is not supported on CPU; use pytorch '
                           '(tools/dist_train.sh) or slurm (tools/slurm_train.sh).')
    timeout = None if timeout_s is None else datetime.timedelta(seconds=timeout_s)
    torch_dist.init_process_group(backend='gloo', init_method='env://', timeout=timeout)
    os.environ.setdefault('LOCAL_RANK', '0')


def finish_distributed() -> None:
    """Leave the process group cleanly (torch warns, and gloo may abort, otherwise).

    The barrier keeps a rank that finished first from tearing the group down
    while another still talks to it.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


# Runner.wrap_model builds `model_wrapper_cfg` from the default scope's registry.
@MODEL_WRAPPERS.register_module()
class DeviceAwareDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that also runs on CPU.

    mmengine passes ``device_ids=[local_rank]`` to every DDP wrapper; torch
    rejects device ids for CPU modules. For a module on CPU the ids are dropped
    (DDP then all-reduces over gloo); on a GPU they pass through unchanged.

    Args:
        module (nn.Module): the model, already on its device.
        device_ids (list[int], optional): as for ``DistributedDataParallel``.
        **kwargs: the rest of ``MMDistributedDataParallel``'s arguments.
    """

    def __init__(self, module, device_ids=None, **kwargs):
        first_param = next(module.parameters(), None)
        if first_param is not None and first_param.device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)


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


def use_weights_only_local_loader() -> None:
    """Make mmengine read local checkpoints with :func:`load_local_checkpoint`.

    Says so when ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` asks torch for full pickle loads.
    """
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
    if os.environ.get(NO_WEIGHTS_ONLY_ENV, '0').lower() in ('1', 'y', 'yes', 'true'):
        warnings.warn(f'{NO_WEIGHTS_ONLY_ENV} is set, but deitlt_mm still loads checkpoints '
                      'with weights_only=True and refuses code in them (docs/bad_inputs.md).',
                      stacklevel=2)


allow_mmengine_checkpoints()
use_atomic_local_backend()
use_weights_only_local_loader()
