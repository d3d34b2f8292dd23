"""Shared fixtures. Tests run on CPU only and build their data in temp dirs."""
from pathlib import Path

import pytest
import torch

import deitlt_mm  # noqa: F401  (registers components, applies compat fixes)

REPO_ROOT = Path(__file__).resolve().parents[1]
# CI and sessions lay the reference material beside the checkout.
SHARED_GOLDEN = REPO_ROOT.parent / 'shared' / 'golden'


@pytest.fixture(scope='session')
def golden_dir() -> Path:
    if not SHARED_GOLDEN.is_dir():
        raise FileNotFoundError(
            f'Reference goldens expected at {SHARED_GOLDEN} (the shared/ folder beside '
            'the checkout).')
    return SHARED_GOLDEN


@pytest.fixture(autouse=True)
def _seed_and_threads():
    # Two CPU cores in CI: keep intra-op threads small and results repeatable.
    torch.manual_seed(0)
    yield
