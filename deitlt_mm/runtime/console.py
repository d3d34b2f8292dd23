"""A quiet console, the full log on disk.

mmengine's loggers print everything they log twice: on the console and into the run's
log file. On the console of our tools that drowns the result in mmengine's environment
and config dumps, the hook table, per-parameter reports of the optimizer constructor
and of ``init_weights``, and deprecation notices mmengine raises about itself.
:class:`FileOnlyFilter` keeps exactly those off the console; the log file
(``<work_dir>/<timestamp>/<timestamp>.log``) still gets every line. What stays on the
console: what the run does, mmengine's progress lines (``Epoch(train) [1][100/...]``),
validation / test results, and every warning and error not listed here.
``--verbose`` on the tools skips the filter.
"""
import logging
import re

from mmengine.logging import MMLogger
from mmengine.runner import Runner

# Records for the log file only: (message start, why nobody needs it on the console).
FILE_ONLY_MESSAGES = (
    ('\n' + '-' * 60 + '\nSystem environment:', 'environment dump of every run'),
    ('Config:\n', 'the full config of every run (also saved next to the log)'),
    ('Hooks will be executed in the following order', 'table of every hook'),
    ('paramwise_options -- ', 'one line per parameter with its own lr / decay'),
    ('Name of parameter - Initialization information', 'init_weights report'),
    ('Exp name: ', 'repeated at every epoch end'),
    ('Distributed training is not used, all SyncBatchNorm', 'no SyncBN in our models'),
    ('Because batch augmentations are enabled', 'mmpretrain says it turns on one-hot'),
    ('"FileClient" will be deprecated', 'mmengine about its own checkpoint hook'),
    ('"HardDiskBackend" is the alias', 'mmengine about its own checkpoint hook'),
)
# One ``init_weights`` report line per parameter: '\n<name> - torch.Size([...]): \n...'.
INIT_REPORT = re.compile(r'^\n\S+ - torch\.Size\(')


class FileOnlyFilter(logging.Filter):
    """Drops the records of :data:`FILE_ONLY_MESSAGES` and init reports (console only)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (message.startswith(tuple(start for start, _ in FILE_ONLY_MESSAGES))
                    or INIT_REPORT.match(message))


def quiet_console(logger: logging.Logger) -> logging.Logger:
    """Add :class:`FileOnlyFilter` to ``logger``'s console handlers (not its files)."""
    for handler in logger.handlers:
        if not isinstance(handler, logging.FileHandler) and not any(
                isinstance(f, FileOnlyFilter) for f in handler.filters):
            handler.addFilter(FileOnlyFilter())
    return logger


class QuietConsoleRunner(Runner):
    """mmengine's ``Runner`` whose logger shows the console what :mod:`console` keeps.

    The logger is made in ``Runner.__init__``, which logs the environment and config
    dumps right away, so the filter goes on as the logger is built.
    """

    def build_logger(self, *args, **kwargs) -> MMLogger:
        return quiet_console(super().build_logger(*args, **kwargs))
