"""Shared fixtures. Tests run on CPU only and build their data in temp dirs."""
from pathlib import Path

import pytest
import torch
from mmengine.registry import init_default_scope

import deitlt_mm  # noqa: F401  (registers components, applies compat fixes)

# Every file a test reads lives in the repository (tests/data/); see its README.
GOLDEN_DIR = Path(__file__).resolve().parent / 'data' / 'golden'


@pytest.fixture(scope='session')
def golden_dir() -> Path:
    return GOLDEN_DIR


# What the Runner does for our configs (default_scope='deitlt_mm'): mmpretrain classes
# that build their parts (ImageClassifier -> backbone) then find our components too.
init_default_scope('deitlt_mm')


@pytest.fixture(autouse=True)
def _seed_and_threads():
    # Two CPU cores in CI: keep intra-op threads small and results repeatable.
    torch.manual_seed(0)
    yield
