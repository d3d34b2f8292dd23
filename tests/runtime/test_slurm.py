"""Slurm's task variables mapped to torch's env:// ones (deitlt_mm.runtime.slurm)."""
import pytest

from deitlt_mm.errors import ConfigValueError
from deitlt_mm.runtime import slurm as slurm_env
from deitlt_mm.runtime.slurm import first_host, set_torch_env_from_slurm


@pytest.mark.parametrize('node_list, host', [
    ('localhost', 'localhost'),
    ('node[01-02]', 'node01'),
    ('a,b', 'a'),
    ('gpu[3,5-7],cpu1', 'gpu3'),
    ('gpu[007-009]', 'gpu007'),
    ('rack[1-2]-n[08-09],x', 'rack1-n08'),
])
def test_first_host_reads_compressed_node_lists_without_scontrol(monkeypatch, node_list, host):
    monkeypatch.setattr(slurm_env.shutil, 'which', lambda name: None)
    assert first_host(node_list) == host


def test_first_host_asks_scontrol_where_it_is_installed(tmp_path, monkeypatch):
    scontrol = tmp_path / 'scontrol'
    # Prints what it was asked, then hosts a hand reading of the list would not give.
    scontrol.write_text('#!/bin/sh\necho "$1-$2-$3" >"$0.args"\nprintf "n7\\nn8\\n"\n')
    scontrol.chmod(0o755)
    monkeypatch.setenv('PATH', str(tmp_path))
    assert first_host('n[7-8]') == 'n7'
    assert (tmp_path / 'scontrol.args').read_text() == 'show-hostnames-n[7-8]\n'


def test_torch_env_from_slurm_task_variables(monkeypatch):
    monkeypatch.setattr(slurm_env.shutil, 'which', lambda name: None)
    environ = dict(SLURM_PROCID='5', SLURM_NTASKS='8', SLURM_LOCALID='1',
                   SLURM_NODELIST='node[03-06]', LOCAL_RANK='0')
    set_torch_env_from_slurm(environ)
    assert environ == dict(environ, RANK='5', WORLD_SIZE='8', LOCAL_RANK='1',
                           MASTER_ADDR='node03', MASTER_PORT='29500')


def test_torch_env_from_slurm_keeps_a_given_master(monkeypatch):
    environ = dict(SLURM_PROCID='0', SLURM_NTASKS='2', SLURM_LOCALID='0',
                   SLURM_NODELIST='node[03-06]', MASTER_ADDR='10.0.0.9', MASTER_PORT='41000')
    set_torch_env_from_slurm(environ)
    assert (environ['MASTER_ADDR'], environ['MASTER_PORT']) == ('10.0.0.9', '41000')


def test_torch_env_from_slurm_outside_srun_names_the_missing_variables():
    environ = dict(SLURM_NTASKS='2', SLURM_NODELIST='localhost')
    with pytest.raises(ConfigValueError, match=r'^--launcher slurm: SLURM_PROCID, '
                                               r'SLURM_LOCALID not set'):
        set_torch_env_from_slurm(environ)
    assert 'RANK' not in environ
