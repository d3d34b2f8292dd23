"""The life of one tool run: set-up, Runner, clean end, one-line errors.

``tools/train.py`` / ``tools/test.py`` decorate their ``main`` with :func:`tool_run`;
``tools/test.py`` builds its Runner with :func:`build_runner`, ``tools/train.py`` runs
:func:`train` (the Runner plus what a long run on a shared cluster needs: the work-dir
lock, preemption, the rank watchdog); nothing else of a run happens in the tools.
"""
import contextlib
import os

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..errors import exit_on_run_error
from .compile_student import compile_student, pop_compile_cfg
from .console import QuietConsoleRunner
from .distributed import finish_distributed, init_distributed
from .env import setup_env
from .preemption import exit_for_requeue_on_preemption
from .rank_watchdog import watch_ranks
from .run_instances import released_run_instances
from .work_dir_lock import hold_work_dir


@contextlib.contextmanager
def tool_run():
    """Around a tool's ``main``: :func:`setup_env`, each run with its own mmengine
    logger / message hub / visualizer (:func:`released_run_instances`), and bad input
    reported as one ``error: ...`` line with exit status 1 (:func:`exit_on_run_error`,
    the traceback in the run's log file). Usable as a decorator."""
    with released_run_instances(), exit_on_run_error():
        setup_env()
        yield


def build_runner(cfg: Config, verbose: bool = False) -> Runner:
    """The Runner of a prepared config (:func:`deitlt_mm.runtime.prepare_cfg`).

    Starts the process group on CPU where mmengine cannot
    (:func:`~deitlt_mm.runtime.distributed.init_distributed`), builds mmengine's
    Runner (or the config's ``runner_type``) with a quiet console unless ``verbose``
    (:mod:`deitlt_mm.runtime.console`), and compiles the student network when the
    config sets ``compile`` (:mod:`deitlt_mm.runtime.compile_student`: the network,
    not mmengine's whole ``train_step``).
    """
    compile_cfg = pop_compile_cfg(cfg)
    init_distributed(cfg.launcher, dist_timeout(cfg))
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = (Runner if verbose else QuietConsoleRunner).from_cfg(cfg)
    if compile_cfg is not None:
        compile_student(runner.model, compile_cfg)
    return runner


def dist_timeout(cfg: Config):
    """``env_cfg.dist_cfg.timeout`` in seconds (:func:`deitlt_mm.runtime.prepare_cfg`
    sets it), None where a config has none."""
    return ((cfg.get('env_cfg') or {}).get('dist_cfg') or {}).get('timeout')


def train(cfg: Config, verbose: bool = False) -> None:
    """Train a prepared config (:func:`deitlt_mm.runtime.prepare_cfg`) to its end.

    Around :func:`build_runner` and ``runner.train()``:

    * rank 0 holds the work dir for the whole run (:func:`hold_work_dir`): a second
      run on it stops at start with one line naming the holder;
    * SIGTERM / SIGUSR1 (Slurm preemption) end the run after the current iteration
      with a resumable checkpoint and exit status 75
      (:class:`~deitlt_mm.engine.hooks.PreemptionCheckpointHook`,
      :func:`exit_for_requeue_on_preemption`);
    * a dead or frozen rank stops every rank within ``env_cfg.dist_cfg.timeout`` with
      one line naming it (:class:`~deitlt_mm.engine.hooks.RankPhaseHook`,
      :func:`watch_ranks`).

    Both hooks are registered here rather than in the configs: they only act with the
    signal handlers and the watchdog of this function around the run.
    """
    rank = 0 if cfg.launcher == 'none' else int(
        os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')))
    with hold_work_dir(cfg.work_dir, take=rank == 0):
        runner = build_runner(cfg, verbose=verbose)
        # By registered name: the hooks import this package's signal state.
        runner.register_hook(dict(type='PreemptionCheckpointHook'), priority='LOWEST')
        runner.register_hook(dict(type='RankPhaseHook'), priority='VERY_HIGH')
        with exit_for_requeue_on_preemption(), watch_ranks(dist_timeout(cfg)):
            runner.train()
    # Only after success: on an error a barrier would wait for ranks still training.
    finish_distributed()
