"""BatchCache: one result per batch tensor, recomputed for any other or changed batch."""
import gc

import torch

from deitlt_mm.models.utils import BatchCache


def test_the_same_unchanged_tensor_in_the_same_state_reuses_the_result():
    cache, calls = BatchCache(), []

    def compute(value):
        calls.append(value)
        return value

    batch = torch.zeros(2)
    assert cache.get(batch, lambda: compute('first')) == 'first'
    assert cache.get(batch, lambda: compute('again')) == 'first' and calls == ['first']
    assert cache.value == 'first'
    assert cache.get(batch.clone(), lambda: compute('clone')) == 'clone'  # equal values
    assert cache.get(batch, lambda: compute('back')) == 'back'  # only the last is held
    batch.add_(1)  # changed in place
    assert cache.get(batch, lambda: compute('changed')) == 'changed'
    assert cache.get(batch, lambda: compute('bf16'), state='bf16') == 'bf16'
    cache.clear()
    assert cache.get(batch, lambda: compute('cleared'), state='bf16') == 'cleared'
    assert len(calls) == 6


def test_the_cache_keeps_no_batch_alive():
    cache = BatchCache()
    batch = torch.zeros(1000)
    cache.get(batch, lambda: 1)
    del batch
    gc.collect()
    # A new tensor (possibly at the same address) never matches the dead entry.
    assert cache.get(torch.zeros(1000), lambda: 2) == 2
