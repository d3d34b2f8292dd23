"""Stop every rank of a distributed run, with one line, when one rank dies or hangs.

Without this, when one rank dies the others wait in their next collective until the
process group's timeout (NCCL: 30 minutes by default) and then print a collective's
traceback that does not say which rank failed, nor where.
"""
import contextlib
import datetime
import json
import os
import sys
import threading
import time
from typing import Optional

import torch.distributed as torch_dist

from .preemption import TrainingPreempted

# Process-group timeout and heartbeat limit when env_cfg.dist_cfg sets none (seconds).
DEFAULT_TIMEOUT_S = 300
# Where ranks publish their heartbeats in the process group's TCP store.
STORE_PREFIX = 'deitlt_mm/rank_watchdog/'

_phase = 'starting'


def report_phase(phase: str) -> None:
    """What this rank is doing, for the line naming it if it stops (``RankPhaseHook``)."""
    global _phase
    _phase = phase


class RankWatchdog:
    """Heartbeats of every rank through the process group's TCP store.

    Each rank's thread publishes ``(count, phase)`` every ``timeout_s / 10`` seconds
    (at most 10 s) and reads the others'. A rank whose count has not changed for
    ``timeout_s`` by this rank's clock (no clock sync needed), and that has not said it
    finished, is dead or frozen: this rank prints ``error: rank <r> (pid <p> on <host>)
    stopped responding <t> s ago while <phase>; stopping rank <me>`` and exits with
    status 1 (``os._exit``: its main thread may be blocked in a collective). Writes are
    atomic in this code base, so an exit leaves no half-written checkpoint.

    Args:
        timeout_s (float): the heartbeat limit, in seconds.
    """

    def __init__(self, timeout_s: float):
        self.timeout_s = float(timeout_s)
        self.interval = min(self.timeout_s / 10, 10.0)
        self.rank = torch_dist.get_rank()
        self.world_size = torch_dist.get_world_size()
        self.store = torch_dist.PrefixStore(STORE_PREFIX, torch_dist.TCPStore(
            os.environ['MASTER_ADDR'], int(os.environ['MASTER_PORT']), is_master=False,
            timeout=datetime.timedelta(seconds=self.timeout_s)))
        self.stopping = threading.Event()
        self.count = 0
        # rank -> (last count seen, local time it changed, last beat)
        self.seen = {}
        self.verdict: Optional[str] = None
        self._beat()
        self.thread = threading.Thread(target=self._run, name='rank_watchdog', daemon=True)

    def _beat(self) -> None:
        self.count += 1
        self.store.set(f'beat/{self.rank}', json.dumps(dict(
            count=self.count, phase=_phase, pid=os.getpid(), host=os.uname().nodename)))

    def _check(self) -> Optional[str]:
        """A line naming the first rank silent for ``timeout_s``, or None."""
        now = time.monotonic()
        for rank in range(self.world_size):
            if rank == self.rank or self.store.check([f'done/{rank}']):
                continue
            beat = json.loads(self.store.get(f'beat/{rank}')) if self.store.check(
                [f'beat/{rank}']) else dict(count=0, phase='starting', pid='?', host='?')
            count, since, _ = self.seen.get(rank, (None, now, beat))
            if beat['count'] != count:
                self.seen[rank] = (beat['count'], now, beat)
            elif now - since > self.timeout_s:
                return (f'rank {rank} (pid {beat["pid"]} on {beat["host"]}) stopped responding '
                        f'{now - since:.0f} s ago while {beat["phase"]}; stopping rank '
                        f'{self.rank} (env_cfg.dist_cfg.timeout = {self.timeout_s:g} s)')
        return None

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self._beat()
                self.verdict = self._check()
            except Exception as error:  # the store's host (rank 0 or the launcher) is gone
                if self.stopping.is_set():
                    return
                self.verdict = self.unreachable(error)
            if self.verdict is not None and not self.stopping.is_set():
                self.exit()

    def unreachable(self, error: Exception) -> str:
        """The line for a store that cannot be reached (its host is gone)."""
        return (f'the process group\'s store at {os.environ.get("MASTER_ADDR")}:'
                f'{os.environ.get("MASTER_PORT")} is unreachable ({error}); rank 0 or the '
                f'launcher stopped; stopping rank {self.rank}')

    def exit(self) -> None:
        print(f'error: {self.verdict}', file=sys.stderr, flush=True)
        os._exit(1)

    def wait_for_verdict(self) -> Optional[str]:
        """After a failed collective: wait (up to the limit) for a rank to be named."""
        deadline = time.monotonic() + self.timeout_s + 2 * self.interval
        while self.verdict is None and time.monotonic() < deadline and self.thread.is_alive():
            time.sleep(self.interval / 2)
        return self.verdict

    def finish(self, done: bool) -> None:
        """Stop the heartbeats; ``done``: this rank finished (or was preempted)."""
        self.stopping.set()
        if done:
            with contextlib.suppress(Exception):
                self.store.set(f'done/{self.rank}', '1')


@contextlib.contextmanager
def watch_ranks(timeout_s: Optional[float]):
    """Run the block under a :class:`RankWatchdog` (nothing without a process group).

    A collective that fails in the block (gloo notices a dead peer at once) waits for
    the watchdog to name the rank before the error goes on; a rank that leaves the
    block normally, or preempted, says it finished so nobody waits for it; one that
    fails otherwise stops its heartbeats, and the others name it.

    Args:
        timeout_s (float, optional): the limit; None: :data:`DEFAULT_TIMEOUT_S`.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        yield
        return
    watchdog = RankWatchdog(DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s)
    watchdog.thread.start()
    try:
        yield
    except TrainingPreempted:
        watchdog.finish(done=True)
        raise
    except RuntimeError:
        if watchdog.wait_for_verdict() is not None:
            watchdog.exit()
        watchdog.finish(done=False)
        raise
    except BaseException:
        watchdog.finish(done=False)  # the others name this rank when it stops responding
        raise
    watchdog.finish(done=True)
