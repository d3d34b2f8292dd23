"""Stop a training run on SIGTERM / SIGUSR1 with a resumable checkpoint, then ask for a requeue.

Slurm signals a job before it takes the nodes away: SIGTERM when the job is preempted
(or at its time limit), and any signal chosen with ``sbatch --signal=USR1@90`` that
many seconds before the limit. :func:`exit_for_requeue_on_preemption` turns both into
a request that :class:`deitlt_mm.engine.hooks.PreemptionCheckpointHook` serves at the
end of the current iteration (the current gradient accumulation window): the ranks
agree on the iteration, rank 0 writes the checkpoint and ``last_checkpoint``, every
rank waits for it, and the run ends with :data:`REQUEUE_EXIT_STATUS`.
``tools/slurm_train.sh`` runs ``scontrol requeue $SLURM_JOB_ID`` on that status, and a
requeued ``--resume`` continues from the iteration, bit for bit.
"""
import contextlib
import os
import signal
import sys
import threading
from typing import Optional

# sysexits.h EX_TEMPFAIL, "temporary failure; the user is invited to retry": the run
# was stopped, not broken. Slurm clusters can requeue on it (slurm.conf RequeueExit=75),
# and tools/slurm_train.sh self-requeues the job on it.
REQUEUE_EXIT_STATUS = 75
PREEMPTION_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)

# The first preemption signal received by this process (None: none yet).
_received: Optional[int] = None


class TrainingPreempted(Exception):
    """Raised by the checkpoint hook after the preemption checkpoint is saved.

    Args:
        message (str): one line: the signal, the position and the checkpoint.
    """


def preemption_signal() -> Optional[int]:
    """The first preemption signal this process received, or None."""
    return _received


def _record_signal(signum, frame) -> None:
    # Only a flag: the save runs in the training loop, between iterations. A second
    # signal (Slurm may repeat SIGTERM) changes nothing and cannot interrupt the save.
    global _received
    if _received is None:
        _received = signum


@contextlib.contextmanager
def exit_for_requeue_on_preemption():
    """Catch SIGTERM / SIGUSR1 for the block; a preempted run exits with status 75.

    Inside the block the signals only set a flag (:func:`preemption_signal`); the
    checkpoint hook makes DataLoader workers ignore them
    (:func:`ignore_preemption_in_workers`). When the block raises
    :class:`TrainingPreempted`, its message goes to stderr (rank 0's is enough, every
    rank prints it) and the process exits with :data:`REQUEUE_EXIT_STATUS`.
    """
    global _received
    _received = None
    previous = {signum: signal.signal(signum, _record_signal) for signum in PREEMPTION_SIGNALS}
    try:
        yield
    except TrainingPreempted as preempted:
        # The handlers stay: a repeated signal must not kill the process while it exits.
        print(f'preempted: {preempted}', file=sys.stderr, flush=True)
        raise SystemExit(REQUEUE_EXIT_STATUS) from None
    except BaseException:
        _restore(previous)
        raise
    _restore(previous)


class WorkerInitIgnoringPreemption:
    """A DataLoader ``worker_init_fn`` that first makes the worker ignore SIGTERM / SIGUSR1.

    Slurm signals every process of a job step, DataLoader workers too, and torch's
    workers die on a SIGTERM that their parent did not send (their C handler): the main
    process would then fail with "DataLoader worker exited unexpectedly" instead of
    saving. Workers ignore the preemption signals; the main process serves them, and a
    worker still ends with its parent (torch's worker watchdog).

    Args:
        worker_init_fn (callable, optional): the loader's own ``worker_init_fn``.
    """

    def __init__(self, worker_init_fn=None):
        self.worker_init_fn = worker_init_fn

    def __call__(self, worker_id: int) -> None:
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        # SIGTERM stays the parent's way to stop a worker (multiprocessing's terminate()
        # at exit): blocked here and served by a thread that knows the sender.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        threading.Thread(target=_exit_on_sigterm_from, args=(os.getppid(), ),
                         daemon=True).start()
        if self.worker_init_fn is not None:
            self.worker_init_fn(worker_id)


def _exit_on_sigterm_from(parent: int) -> None:
    while True:
        if signal.sigwaitinfo({signal.SIGTERM}).si_pid == parent:
            os._exit(0)  # as torch's worker handler does for its parent's SIGTERM


def ignore_preemption_in_workers(dataloader) -> None:
    """Install :class:`WorkerInitIgnoringPreemption` in a DataLoader (once)."""
    if not isinstance(dataloader.worker_init_fn, WorkerInitIgnoringPreemption):
        dataloader.worker_init_fn = WorkerInitIgnoringPreemption(dataloader.worker_init_fn)


def _restore(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)
