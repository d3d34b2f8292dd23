"""Slurm's task variables -> torch's env:// variables (the Slurm launcher on CPU)."""
import os

import pytest

from deitlt_mm.runtime.slurm import first_host, set_torch_env_from_slurm


@pytest.mark.parametrize('nodelist, host', [
    ('gpu3', 'gpu3'),
    ('node[07-09,12]', 'node07'),
    ('node[12,07-09],gpu3', 'node12'),
    ('rack1-n[001-004]-ib', 'rack1-n001-ib'),
    ('a,b', 'a'),
])
def test_first_host_of_a_hostlist(nodelist, host):
    assert first_host(nodelist) == host


def test_torch_env_from_slurm_variables(monkeypatch):
    for key in ('MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv('SLURM_PROCID', '5')
    monkeypatch.setenv('SLURM_NTASKS', '8')
    monkeypatch.setenv('SLURM_LOCALID', '1')
    monkeypatch.setenv('SLURM_NODELIST', 'node[03-06]')
    set_torch_env_from_slurm()
    assert {key: os.environ[key] for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK',
                                             'MASTER_ADDR', 'MASTER_PORT')} == dict(
        RANK='5', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_ADDR='node03', MASTER_PORT='29500')
