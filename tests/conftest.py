"""Shared fixtures. Tests run on CPU only and build their data in temp dirs."""
from pathlib import Path

import pytest
import torch

from deitlt_mm.runtime import released_run_instances, setup_env

# Every file a test reads lives in the repository (tests/data/); see its README.
GOLDEN_DIR = Path(__file__).resolve().parent / 'data' / 'golden'


@pytest.fixture(scope='session')
def golden_dir() -> Path:
    return GOLDEN_DIR


# What our tools do before a run: weights-only checkpoint loads, atomic writes, and the
# default scope 'deitlt_mm' (mmpretrain classes that build their parts, ImageClassifier ->
# backbone, then find our components too).
setup_env()


@pytest.fixture(autouse=True)
def _seed_and_threads():
    # Two CPU cores in CI: keep intra-op threads small and results repeatable.
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _own_run_instances():
    # mmengine names a Runner's logger, message hub and visualizer after its start time
    # to the second: a Runner built by a test that starts in the same second as the
    # previous test's would get that test's logger back (and log into its folder). Each
    # test forgets the instances it created, as tools/train.py does after a run.
    with released_run_instances():
        yield
