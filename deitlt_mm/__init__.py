"""DeiT-LT on MMPretrain / mmengine.

Importing this package applies the mmengine compatibility fixes (``compat``) and
registers every component into mmpretrain's registries, so configs with
``default_scope='mmpretrain'`` name them by ``type=``.
"""
# `compat` sorts first, so its fixes are in place before any component imports.
from . import compat, datasets, engine, evaluation, models  # noqa: F401

__version__ = '0.1.0'
