"""Give every run in a process its own logger, message hub and visualizer.

mmengine's Runner fetches its ``MMLogger``, ``MessageHub``, ``Visualizer`` and
``DefaultScope`` by name with ``get_instance``, and the name is the config's file
name plus the start time to the second. A second run of the same config that
starts in the same second of the same process (a notebook, the demo's tool
runner, a test suite) therefore gets the first run's instances back: its log
lines go to the first run's log file, its message hub holds the first run's
buffers and its visualizer writes into the first run's folder.
:func:`released_run_instances` forgets the instances a run created once it ends,
and closes their log files, so the next run creates its own.
"""
import contextlib
import logging

from mmengine.utils import ManagerMixin


def _manager_classes():
    """``ManagerMixin`` and all its subclasses: each keeps its own instance dict."""
    classes, pending = [], [ManagerMixin]
    while pending:
        cls = pending.pop()
        classes.append(cls)
        pending.extend(cls.__subclasses__())
    return classes


@contextlib.contextmanager
def released_run_instances():
    """Forget the global mmengine instances created inside the block, also on error.

    Usable as a decorator of a tool's ``main()``, outside the error handler that
    writes a failure's traceback into the run's log. Instances that existed
    before the block are kept as they are.
    """
    existing = {cls: set(cls._instance_dict) for cls in _manager_classes()}
    try:
        yield
    finally:
        for cls in _manager_classes():
            for name in set(cls._instance_dict) - existing.get(cls, set()):
                instance = cls._instance_dict.pop(name)
                if isinstance(instance, logging.Logger):
                    for handler in list(instance.handlers):
                        if isinstance(handler, logging.FileHandler):
                            instance.removeHandler(handler)
                            handler.close()
