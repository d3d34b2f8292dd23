"""--cfg-options: keys the run does not read are refused with the closest real key."""
from pathlib import Path

import pytest

from deitlt_mm.errors import ConfigError
from deitlt_mm.runtime.config import check_cfg_options, load_config

REPO = Path(__file__).resolve().parents[2]
PAPER_STUDENT = str(REPO / 'configs' / 'deitlt' / 'deitlt_b_cifar10_if100.py')


@pytest.fixture(scope='module')
def cfg():
    return load_config(PAPER_STUDENT)


def test_keys_the_runner_reads_pass(cfg):
    check_cfg_options(cfg, {'train_cfg.max_epochs': 2, 'model.head.num_classes': 3,
                            'optim_wrapper.optimizer.lr': 0.1, 'resume': True,
                            'param_scheduler.0.end': 2, 'compile': True,
                            'experiment_name': 'x', 'model.backbone.new_arg': 1})


def test_a_typo_names_the_closest_key(cfg):
    with pytest.raises(ConfigError) as error:
        check_cfg_options(cfg, {'max_epoch': 1})
    assert str(error.value) == ('--cfg-options max_epoch: unknown top-level key `max_epoch`; '
                                'did you mean `train_cfg.max_epochs`?')
    with pytest.raises(ConfigError, match='did you mean `work_dir`'):
        check_cfg_options(cfg, {'work_dri': 'x'})


def test_a_config_variable_names_the_keys_that_took_its_value(cfg):
    # `max_epochs = 1200` in the config: train_cfg.max_epochs is already 1200 when options
    # merge.
    with pytest.raises(ConfigError) as error:
        check_cfg_options(cfg, {'max_epochs': 2})
    assert str(error.value) == (
        '--cfg-options max_epochs: `max_epochs` is a variable of the config, used only while '
        'the file is read; setting it now changes nothing. Set `train_cfg.max_epochs` instead')
    with pytest.raises(ConfigError, match='Set `train_dataloader.dataset.data_root`, '
                                          '`val_dataloader.dataset.data_root`, '
                                          '`test_dataloader.dataset.data_root` instead'):
        check_cfg_options(cfg, {'data_root': '/data'})
    # No key of the same name: the keys holding the same value.
    with pytest.raises(ConfigError, match='Set `optim_wrapper.optimizer.lr` instead'):
        check_cfg_options(cfg, {'base_lr': 0.1})


def test_the_demo_budget_variable_names_the_loop_key():
    # The demo configs place their phases from `train_iters`, read with the file only.
    demo = load_config(str(REPO / 'configs' / 'demo' / 'deitlt_tiny_fmnist_lt.py'))
    with pytest.raises(ConfigError, match='Set `train_cfg.max_iters` instead'):
        check_cfg_options(demo, {'train_iters': 100})


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match=f'config file not found: {tmp_path}/no.py'):
        load_config(str(tmp_path / 'no.py'))
