"""A test run logs its progress at least every tenth of the test set."""
from types import SimpleNamespace

import pytest
from mmengine.hooks import CheckpointHook, LoggerHook

from deitlt_mm.runtime.test_progress import log_test_progress


@pytest.mark.parametrize('batches,configured,expected', [
    (40, 100, 4),    # CIFAR test set at batch 256: every 4 batches instead of never
    (196, 100, 20),  # ImageNet-LT test set: every 20 instead of once
    (40, 2, 2),      # a smaller configured interval is kept
    (3, 100, 1),
])
def test_interval_is_a_tenth_of_the_test_batches(batches, configured, expected):
    logger = LoggerHook(interval=configured)
    runner = SimpleNamespace(test_loop=SimpleNamespace(dataloader=[None] * batches),
                             hooks=[CheckpointHook(), logger])
    assert log_test_progress(runner) == expected
    assert logger.interval == expected
