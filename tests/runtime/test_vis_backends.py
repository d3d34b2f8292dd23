"""Live curves: --vis-backend adds mmengine's backends; validation's head / mid / tail per
token reaches their scalars (TensorBoard event files, LocalVisBackend's scalars.json)."""
import json

import pytest
from mmengine.config import Config

from deitlt_mm.errors import MissingPackageError
from deitlt_mm.runtime import vis_backends
from deitlt_mm.runtime.vis_backends import add_vis_backends, check_vis_backends
from tests._tiny_vit import config_text
from tests._tools import load_tool

PER_TOKEN = [f'long_tail/{token}/{group}' for token in ('avg', 'cls', 'dist')
             for group in ('top1', 'head', 'mid', 'tail')]


def test_option_adds_backends_once_and_checks_their_packages(monkeypatch):
    cfg = Config(dict(work_dir='work_dirs/run_a', visualizer=dict(
        type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')])))
    add_vis_backends(cfg, ['tensorboard', 'wandb', 'tensorboard'])
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend', 'WandbVisBackend']
    assert cfg.visualizer.vis_backends[2]['init_kwargs'] == dict(project='deitlt_mm',
                                                                 name='run_a')
    monkeypatch.setattr(vis_backends.importlib.util, 'find_spec',
                        lambda name: None if name == 'wandb' else object())
    with pytest.raises(MissingPackageError, match='WandbVisBackend, which needs the `wandb` '
                       'package: pip install wandb'):
        check_vis_backends(cfg)
    monkeypatch.setattr(vis_backends.importlib.util, 'find_spec', lambda name: object())
    check_vis_backends(cfg)


def test_validation_curves_per_token_reach_tensorboard(tmp_path):
    event_accumulator = pytest.importorskip(
        'tensorboard.backend.event_processing.event_accumulator')
    config = tmp_path / 'tiny_vis_student.py'
    config.write_text(config_text(train=True))
    work = tmp_path / 'work'
    load_tool('train.py').main([str(config), '--work-dir', str(work),
                                '--vis-backend', 'tensorboard'])
    vis_data, = work.glob('*/vis_data')
    local = [json.loads(line) for line in (vis_data / 'scalars.json').read_text().splitlines()]
    validations = [entry for entry in local if 'long_tail/dist/tail' in entry]
    assert [entry['step'] for entry in validations] == [1, 2]  # after each epoch
    events = event_accumulator.EventAccumulator(str(vis_data))
    events.Reload()
    assert set(PER_TOKEN) <= set(events.Tags()['scalars'])
    for key in PER_TOKEN:
        logged = [(event.step, event.value) for event in events.Scalars(key)]
        assert logged == [(entry['step'], pytest.approx(entry[key], abs=1e-4))
                          for entry in validations], key
    assert 'loss' in events.Tags()['scalars']  # training curves too
