"""Live training curves: mmengine's TensorBoard / W&B backends switched on by name.

mmengine's ``LoggerHook`` sends every logged scalar to the visualizer's backends:
the training loss and lr every ``interval`` iterations, and after each validation
every metric, ``LongTailAccuracy``'s ``long_tail/{avg,cls,dist,teacher}/{top1,top5,
head,mid,tail}`` included, so the curves show the tail as training goes.
``configs/_base_/default_runtime.py`` keeps ``LocalVisBackend`` (``scalars.json``).
"""
import importlib.util
from typing import Sequence

from mmengine.config import Config

from ..errors import MissingPackageError

# Option name -> (mmengine backend type, package it imports, how to get it).
VIS_BACKENDS = {
    'tensorboard': ('TensorboardVisBackend', 'tensorboard',
                    'pip install tensorboard (requirements/pinned.txt has it)'),
    'wandb': ('WandbVisBackend', 'wandb',
              'pip install wandb, then `wandb login` (or WANDB_MODE=offline)'),
}


def add_vis_backends(cfg: Config, names: Sequence[str]) -> None:
    """Append the backends ``names`` (keys of :data:`VIS_BACKENDS`) to
    ``cfg.visualizer.vis_backends`` (a backend already there is not added twice).

    W&B logs into the project ``deitlt_mm``, the run named after the work dir.
    """
    if cfg.get('visualizer') is None:
        cfg.visualizer = dict(type='UniversalVisualizer')
    visualizer = cfg.visualizer
    backends = list(visualizer.get('vis_backends') or [dict(type='LocalVisBackend')])
    present = {backend.get('type') for backend in backends}
    for name in names:
        if name not in VIS_BACKENDS:
            raise ValueError(f'unknown vis backend {name!r}; expected one of '
                             f'{sorted(VIS_BACKENDS)}')
        backend_type = VIS_BACKENDS[name][0]
        if backend_type in present:
            continue
        backend = dict(type=backend_type)
        if name == 'wandb':
            work_dir = str(cfg.get('work_dir') or '').rstrip('/')
            backend['init_kwargs'] = dict(project='deitlt_mm',
                                          name=work_dir.rsplit('/', 1)[-1] or None)
        backends.append(backend)
        present.add(backend_type)
    visualizer['vis_backends'] = backends


def check_vis_backends(cfg: Config) -> None:
    """Before anything is built: every TensorBoard / W&B backend of ``cfg.visualizer`` has
    its package.

    Raises:
        MissingPackageError: naming the backend, the package and how to install it.
    """
    visualizer = cfg.get('visualizer') or {}
    for backend in visualizer.get('vis_backends') or []:
        for backend_type, package, install in VIS_BACKENDS.values():
            if str(backend.get('type', '')).rsplit('.', 1)[-1] == backend_type and \
                    importlib.util.find_spec(package) is None:
                raise MissingPackageError(
                    f'visualizer.vis_backends has {backend_type}, which needs the '
                    f'`{package}` package: {install}.')
