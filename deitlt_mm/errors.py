"""Errors a user can fix, and how the tools report them: one line, non-zero exit.

Every bad input deitlt_mm detects raises a :class:`RunError` whose message is one
line naming the file / key / value, what was expected and what to do. The classes
below also derive from the builtin exception a caller would expect (a missing file
is still a ``FileNotFoundError``). ``docs/bad_inputs.md`` lists every message.
"""
import contextlib
import errno
import logging
import os
import sys
import traceback

from mmengine.logging import MMLogger

# Set to 1 to also print the traceback of a reported error on stderr.
DEBUG_ENV = 'DEITLT_MM_DEBUG'


class RunError(Exception):
    """A problem with the run's input or environment that the user can fix."""

    def __str__(self) -> str:
        # KeyError would otherwise print its message in quotes.
        return str(self.args[0]) if self.args else ''


class ConfigError(RunError, KeyError):
    """A config file that does not exist, or an option key the run would not read."""


class ConfigValueError(RunError, ValueError):
    """A config value that cannot work (e.g. a teacher label order without its map)."""


class NumClassesError(RunError, ValueError):
    """A model's class count that differs from the dataset's."""


class NonFiniteError(RunError, FloatingPointError):
    """A non-finite loss or weight during training."""


class FileWriteError(RunError, OSError):
    """An output file that cannot be written (folder not writable, disk full, ...)."""


class CheckpointNotFoundError(RunError, FileNotFoundError):
    """A checkpoint path that does not exist."""


class CheckpointError(RunError, RuntimeError):
    """A checkpoint that cannot be read: truncated, corrupt, or refused (code in it)."""


class CheckpointMismatchError(RunError, KeyError, ValueError):
    """A checkpoint whose keys, shapes or class count do not fit the model.

    A ``KeyError`` for missing / unexpected keys and a ``ValueError`` for shapes, as
    callers of the checkpoint loaders caught before.
    """


class MissingPackageError(RunError, ImportError):
    """An optional package that the run was asked to use is not installed."""


class DataFileNotFoundError(RunError, FileNotFoundError):
    """A dataset file (list file, CIFAR batch) that is not where the config says."""


class ChecksumError(RunError, ValueError):
    """A dataset file whose md5 differs from the official one."""


class DownloadError(RunError, OSError):
    """A dataset download that failed (no network, server error)."""


# Errors of the environment reported like a RunError (their message names the problem).
REPORTED_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def is_reported(error: BaseException) -> bool:
    """Whether :func:`exit_on_run_error` reports ``error`` as one line.

    :class:`RunError`, a ``FileNotFoundError`` (a file the user named is missing, e.g.
    a dataset file) and a full disk or quota.
    """
    return isinstance(error, (RunError, FileNotFoundError)) or (
        isinstance(error, OSError) and error.errno in REPORTED_ERRNOS)


@contextlib.contextmanager
def exit_on_run_error():
    """Turn a reported error into ``error: <message>`` on stderr and exit status 1.

    Reported errors: see :func:`is_reported`. The traceback goes to the run's log
    file when a runner has opened one (and to stderr too with ``DEITLT_MM_DEBUG=1``).
    Other exceptions pass through unchanged. Usable as a decorator of ``main()``.
    """
    try:
        yield
    except Exception as error:
        if not is_reported(error):
            raise
        _log_traceback(error)
        if os.environ.get(DEBUG_ENV, '0') not in ('', '0'):
            traceback.print_exception(error, file=sys.stderr)
        raise SystemExit(f'error: {error}') from None


def _log_traceback(error: BaseException) -> None:
    logger = MMLogger.get_current_instance()  # the runner's, with its log file, if any
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, 'error: %s',
                               (error, ), (type(error), error, error.__traceback__))
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
