"""released_run_instances: each run in a process gets its own logger, hub and visualizer."""
import logging
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import mmengine.runner.runner as mmengine_runner
import pytest
import torch
from mmengine.logging import MessageHub, MMLogger
from mmengine.visualization import Visualizer

from deitlt_mm.runtime import released_run_instances

REPO = Path(__file__).resolve().parents[2]
SMOKE = str(REPO / 'configs' / 'smoke' / 'tiny_resnet_random_lt.py')


def test_instances_made_in_the_block_are_forgotten_and_their_log_files_closed(tmp_path):
    kept = MessageHub.get_instance('run_instances_kept')
    with pytest.raises(RuntimeError), released_run_instances():
        logger = MMLogger.get_instance('run_instances_run', log_file=str(tmp_path / 'run.log'))
        MessageHub.get_instance('run_instances_run')
        Visualizer.get_instance('run_instances_run')
        MessageHub.get_instance('run_instances_kept')  # existed before: kept
        file_handler = next(h for h in logger.handlers if isinstance(h, logging.FileHandler))
        raise RuntimeError('the run failed')
    assert not MMLogger.check_instance_created('run_instances_run')
    assert not MessageHub.check_instance_created('run_instances_run')
    assert not Visualizer.check_instance_created('run_instances_run')
    assert MessageHub.get_instance('run_instances_kept') is kept
    assert file_handler not in logger.handlers
    assert file_handler.stream is None  # closed
    again = MMLogger.get_instance('run_instances_run', log_file=str(tmp_path / 'again.log'))
    assert again is not logger
    again.info('second run')
    assert 'second run' in (tmp_path / 'again.log').read_text()
    assert 'second run' not in (tmp_path / 'run.log').read_text()


def _train(*argv):
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        train = __import__('train')
    finally:
        sys.path.pop(0)
    try:
        train.main([str(arg) for arg in argv])
    except SystemExit as exit_info:
        return exit_info.code
    return None


def test_two_runs_of_one_config_in_the_same_second_write_their_own_logs(tmp_path, monkeypatch):
    # mmengine names a run's logger after the config and the start second: freeze the clock
    # the Runner reads so that both runs get the same name, as in a fast test suite.
    started = time.time()
    monkeypatch.setattr(mmengine_runner, 'time', SimpleNamespace(
        time=lambda: started, strftime=time.strftime, localtime=time.localtime))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert _train(SMOKE, '--work-dir', tmp_path / 'first', '--cfg-options',
                      'train_cfg.max_epochs=1') is None
        error = _train(SMOKE, '--work-dir', tmp_path / 'second', '--cfg-options',
                       'model.head.num_classes=10', 'data_preprocessor.num_classes=10')
    finally:
        torch.set_num_threads(threads)
    assert error.startswith('error: class count mismatch')
    first_log, = (tmp_path / 'first').glob('*/*.log')
    second_log, = (tmp_path / 'second').glob('*/*.log')
    assert first_log.name == second_log.name  # the same second, the same run name
    assert 'Epoch(train)' in first_log.read_text()
    assert 'class count mismatch' not in first_log.read_text()
    assert 'class count mismatch' in second_log.read_text()
    assert 'Epoch(train)' not in second_log.read_text()
