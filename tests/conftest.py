"""Shared fixtures. Tests run on CPU only and build their data in temp dirs."""
from pathlib import Path

import pytest
import torch

from deitlt_mm.runtime import setup_env

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
