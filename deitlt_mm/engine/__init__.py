from . import hooks, model_wrappers, optimizers, runners  # noqa: F401
