"""Load a config and check ``--cfg-options`` against it before anything is built."""
import difflib
import inspect
import os.path as osp
from typing import Dict, Iterator, List, Tuple

from mmengine.config import Config
from mmengine.runner import Runner

from .errors import ConfigError

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
