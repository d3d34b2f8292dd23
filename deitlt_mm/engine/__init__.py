from . import hooks, optimizers, runners  # noqa: F401
