"""Everything done around mmengine's Runner: process set-up, a tool's config, the run.

Registered components live in the other sub-packages; this one holds what the tools
(and ``deitlt_mm.apis``, and the tests) do around them. Nothing here runs on import:
call :func:`setup_env` first.
"""
from .config import check_cfg_options, load_config, prepare_cfg
from .console import QuietConsoleRunner, quiet_console
from .distributed import finish_distributed, init_distributed
from .env import setup_env
from .lifecycle import build_runner, tool_run, train
from .run_instances import released_run_instances
from .test_progress import log_test_progress
from .vis_backends import VIS_BACKENDS

__all__ = [
    'QuietConsoleRunner', 'VIS_BACKENDS', 'build_runner', 'check_cfg_options',
    'finish_distributed', 'init_distributed', 'load_config', 'log_test_progress',
    'prepare_cfg', 'quiet_console', 'released_run_instances', 'setup_env', 'tool_run',
    'train'
]
