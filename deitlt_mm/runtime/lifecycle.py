"""The life of one tool run: set-up, Runner, clean end, one-line errors.

``tools/train.py`` / ``tools/test.py`` decorate their ``main`` with :func:`tool_run`
and build their Runner with :func:`build_runner`; nothing else of a run happens in
the tools.
"""
import contextlib

from mmengine.config import Config
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..errors import exit_on_run_error
from .compile_student import compile_student, pop_compile_cfg
from .console import QuietConsoleRunner
from .distributed import init_distributed
from .env import setup_env
from .run_instances import released_run_instances


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
    init_distributed(cfg.launcher)
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = (Runner if verbose else QuietConsoleRunner).from_cfg(cfg)
    if compile_cfg is not None:
        compile_student(runner.model, compile_cfg)
    return runner
