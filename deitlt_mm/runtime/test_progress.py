"""Progress lines of a test run: mmengine's LoggerHook, often enough to follow."""
import math

from mmengine.hooks import LoggerHook

# Progress lines (with mmengine's eta) per test pass at least.
TEST_PROGRESS_LINES = 10


def log_test_progress(runner, lines: int = TEST_PROGRESS_LINES) -> int:
    """Make the runner's ``LoggerHook`` log the test loop at least ``lines`` times.

    The hook logs ``Epoch(test) [i/n]  eta: ...`` every ``interval`` batches, one
    interval for training, validation and test; the runtime's 100 would print nothing
    for a test set of fewer than 100 batches (CIFAR's 10,000 images at batch 256).
    Only the test run's hook changes; a smaller configured interval is kept. Builds the
    test loop (as ``runner.test()`` would).

    Returns:
        int: the interval now used (0 when the runner has no LoggerHook).
    """
    batches = len(runner.test_loop.dataloader)
    interval = 0
    for hook in runner.hooks:
        if isinstance(hook, LoggerHook):
            hook.interval = interval = max(1, min(hook.interval, math.ceil(batches / lines)))
    return interval
