"""A tool's config, from its file and command line to what the Runner gets.

:func:`prepare_cfg` makes every check and rewrite ``tools/train.py`` and
``tools/test.py`` apply, in one place and before anything is built: ``--cfg-options``
checked against the config, work dir, resume, ``--amp``, ``--vis-backend`` (and the
packages of the backends), ``--auto-scale-lr`` with gradient accumulation, and the
class map an original-order teacher shares with the datasets.
"""
import difflib
import inspect
import os.path as osp
from typing import Dict, Iterator, List, Tuple

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from ..datasets.class_map_file import check_teacher_class_map
from ..engine.optimizers import apply_default_precision
from ..errors import ConfigError, ConfigValueError
from .rank_watchdog import DEFAULT_TIMEOUT_S
from .student_cfg import score_without_missing_teacher
from .vis_backends import add_vis_backends, check_vis_backends

# Top-level keys a run reads: the Runner's arguments (Runner.from_cfg), the keys it
# looks up in the config itself, and `custom_imports` (read by Config). A top-level key
# that tools/train.py or tools/test.py read themselves belongs here too.
RUNNER_KEYS = frozenset(
    name for name in inspect.signature(Runner.__init__).parameters
    if name not in ('self', 'cfg')) | {
        'model_wrapper_cfg', 'compile', 'strategy', 'runner_type', 'custom_imports',
        'sync_bn', 'find_unused_parameters', 'activation_checkpointing',
        'efficient_conv_bn_eval'
    }
# Keys named in a "set ... instead" hint.
MAX_SUGGESTIONS = 3


def load_config(path: str) -> Config:
    """``Config.fromfile`` with a one-line error for a missing file."""
    if not osp.isfile(path):
        raise ConfigError(f'config file not found: {path}')
    return Config.fromfile(path)


def prepare_cfg(cfg: Config, args, mode: str = 'train') -> Config:
    """Apply a tool's command line ``args`` to ``cfg`` and check the result.

    Args:
        cfg (Config): as loaded by :func:`load_config`; changed in place.
        args (argparse.Namespace): ``config``, ``work_dir``, ``launcher``,
            ``cfg_options`` and, for ``mode='train'``, ``resume``, ``amp``,
            ``vis_backend`` and ``auto_scale_lr`` (the options of ``tools/train.py``).
        mode (str): ``'train'`` or ``'test'``. A test run loads its checkpoint itself
            (strictly: mmengine's ``load_from`` ignores keys that do not fit), so
            ``load_from`` / ``resume`` are cleared, it compiles nothing, and a student
            whose teacher file is missing is scored alone
            (:func:`~deitlt_mm.runtime.student_cfg.score_without_missing_teacher`).

    Returns:
        Config: ``cfg``, ready for :func:`deitlt_mm.runtime.build_runner`.

    Raises:
        ConfigError, ConfigValueError, MissingPackageError: bad input, one line.
    """
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if mode == 'train':
        _apply_train_args(cfg, args)
    else:
        cfg.load_from = None
        cfg.resume = False
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    # Collectives and the rank watchdog give up after this many seconds (a dead rank
    # ends the job in minutes, not after torch's 30); mmengine passes it to NCCL too.
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg.setdefault('timeout', DEFAULT_TIMEOUT_S)
    if mode == 'train':
        add_vis_backends(cfg, args.vis_backend)
        if args.auto_scale_lr:
            if 'auto_scale_lr' not in cfg:
                raise ConfigValueError(
                    f'--auto-scale-lr: {args.config} has no `auto_scale_lr` '
                    '(expected dict(base_batch_size=..., enable=False)).')
            cfg.auto_scale_lr.enable = True
        account_for_accumulation(cfg)
        check_vis_backends(cfg)
    else:
        # mmengine compiles for training only; a `compile` key changes no test run.
        cfg.pop('compile', None)
        score_without_missing_teacher(cfg)
    check_teacher_class_map(cfg)
    return cfg


def _apply_train_args(cfg: Config, args) -> None:
    """``--amp`` / ``--no-amp`` and ``--resume``, before ``--cfg-options`` (which may
    override them)."""
    # Mixed precision by default on GPUs, only with --amp on CPU; --no-amp: fp32.
    device_type = 'cuda' if torch.cuda.is_available() else 'cpu'
    try:
        apply_default_precision(cfg, device_type, args.amp)
    except ValueError as error:
        raise ConfigValueError(f'--amp: {error}') from None
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume


def account_for_accumulation(cfg: Config) -> None:
    """Make mmengine's lr scaling use the effective batch.

    mmengine scales by ``devices x batch_size / base_batch_size`` and ignores
    ``optim_wrapper.accumulative_counts``; dividing the base batch by the
    accumulation count gives the same ratio as multiplying the real batch.
    """
    scale_cfg = cfg.get('auto_scale_lr')
    accumulation = cfg.get('optim_wrapper', {}).get('accumulative_counts', 1)
    if scale_cfg and scale_cfg.get('enable') and accumulation > 1:
        scale_cfg.base_batch_size = scale_cfg.base_batch_size / accumulation


def check_cfg_options(cfg: Config, options: Dict[str, object]) -> None:
    """Refuse ``--cfg-options`` whose top-level key the run would not read.

    A top-level key is accepted when the Runner reads it (:data:`RUNNER_KEYS`). Any
    other key either does not exist (a typo: ``max_epoch=1``) or is a variable of the
    config file (``max_epochs = 6`` at the top of a config), which mmengine only uses
    while the file is read: by the time options are merged, ``train_cfg.max_epochs``
    already holds the value, so ``max_epochs=2`` would change nothing.

    Raises:
        ConfigError: naming the option and the closest key(s) the run reads.
    """
    paths = dict(_paths(cfg))
    for option in options:
        top = option.split('.')[0]
        if top in RUNNER_KEYS:
            continue
        if top in cfg:
            raise ConfigError(
                f'--cfg-options {option}: `{top}` is a variable of the config, used only while '
                f'the file is read; setting it now changes nothing. Set '
                f'{_quoted(_users(top, cfg[top], paths), ", ")} instead')
        raise ConfigError(
            f'--cfg-options {option}: unknown top-level key `{top}`; did you mean '
            f'{_quoted(_closest(option, list(paths) + sorted(RUNNER_KEYS)), " or ")}?')


def _paths(cfg, prefix: str = '') -> Iterator[Tuple[str, object]]:
    """``(dotted path, value)`` of every value the Runner reads (under :data:`RUNNER_KEYS`)."""
    items = enumerate(cfg) if isinstance(cfg, (list, tuple)) else cfg.items()
    for key, value in items:
        if not prefix and key not in RUNNER_KEYS:
            continue
        path = f'{prefix}{key}'
        yield path, value
        if isinstance(value, dict) or (isinstance(value, (list, tuple)) and any(
                isinstance(item, (dict, list, tuple)) for item in value)):
            yield from _paths(value, f'{path}.')


def _users(name: str, value, paths: Dict[str, object]) -> List[str]:
    """The keys that took a variable's value: same last name, else same value."""
    same_name = [path for path in paths if path.rsplit('.', 1)[-1] == name]
    if same_name:
        return same_name[:MAX_SUGGESTIONS]
    if value not in (None, '', [], {}) and not isinstance(value, bool):
        same_value = [path for path, used in paths.items()
                      if not isinstance(used, bool) and used == value]
        if same_value:
            return sorted(same_value, key=lambda p: -_similarity(name, p))[:MAX_SUGGESTIONS]
    return _closest(name, list(paths))


def _similarity(option: str, candidate: str) -> float:
    """Of whole dotted paths or of their last parts, whichever is higher."""
    return max(difflib.SequenceMatcher(None, option, candidate).ratio(),
               difflib.SequenceMatcher(None, option.rsplit('.', 1)[-1],
                                       candidate.rsplit('.', 1)[-1]).ratio())


def _closest(option: str, candidates: List[str]) -> List[str]:
    """The candidate(s) most like ``option`` (ties: shortest first, at most 3)."""
    ranked = sorted(set(candidates), key=lambda c: (-_similarity(option, c), len(c), c))
    best = _similarity(option, ranked[0])
    return [c for c in ranked if _similarity(option, c) == best][:MAX_SUGGESTIONS]


def _quoted(keys: List[str], joiner: str) -> str:
    return joiner.join(f'`{key}`' for key in keys)
