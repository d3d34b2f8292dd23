"""init_distributed: a gloo group on CPU, nothing to do otherwise."""
import pytest
import torch

from deitlt_mm.runtime.distributed import init_distributed


def test_init_distributed_without_launcher_is_a_no_op():
    init_distributed('none')
    assert not torch.distributed.is_initialized()


def test_init_distributed_on_cpu_names_the_working_launcher(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(RuntimeError, match='--launcher pytorch .* or slurm'):
        init_distributed('mpi')
