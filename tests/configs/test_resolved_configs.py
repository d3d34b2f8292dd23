"""Restructuring configs must not change what they resolve to.

``tests/data/resolved_configs.json`` is the snapshot of every config under configs/ as
``Config.fromfile(path).to_dict()`` (``DEITLT_TEACHER_CKPT`` unset), taken before the
configs were restructured. Every resolved value must still be equal, except the keys in
``MOVED`` below: an explicit table of what moved on purpose and why.

Regenerate only when a value changes on purpose (and say so in the commit):
``python -m tests.configs.test_resolved_configs``.
"""
import json
import os
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIG_ROOT = REPO / 'configs'
SNAPSHOT = REPO / 'tests' / 'data' / 'resolved_configs.json'
CONFIGS = sorted(str(p.relative_to(CONFIG_ROOT)) for p in CONFIG_ROOT.rglob('*.py')
                 if '_base_' not in p.parts)

# (config glob, dotted key in the snapshot, dotted key now, why). A key that moved holds
# the same value at its new place; new key None: removed on purpose.
MOVED = []


def encode(value):
    """Config values -> JSON, tuples kept apart from lists."""
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {'__tuple__': [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    return value


def resolve(config: str) -> dict:
    """The resolved config ``configs/<config>`` as JSON types, teacher env var unset."""
    saved = os.environ.pop('DEITLT_TEACHER_CKPT', None)
    try:
        return encode(Config.fromfile(str(CONFIG_ROOT / config)).to_dict())
    finally:
        if saved is not None:
            os.environ['DEITLT_TEACHER_CKPT'] = saved


def write_snapshot() -> None:
    SNAPSHOT.write_text(json.dumps({c: resolve(c) for c in CONFIGS}, indent=1,
                                   sort_keys=True) + '\n')


@pytest.fixture(scope='module')
def snapshot():
    return json.loads(SNAPSHOT.read_text())


def test_snapshot_covers_every_config(snapshot):
    assert sorted(snapshot) == CONFIGS


@pytest.mark.parametrize('config', CONFIGS)
def test_resolved_config_equals_snapshot(config, snapshot):
    assert resolve(config) == snapshot[config]


if __name__ == '__main__':
    write_snapshot()
