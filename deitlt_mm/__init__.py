"""DeiT-LT on MMPretrain / mmengine.

Importing this package applies the mmengine compatibility fixes (``compat``) and
registers every component in deitlt_mm's own registries (``deitlt_mm.registry``,
children of mmpretrain's, scope ``'deitlt_mm'``), so configs with
``default_scope='deitlt_mm'`` name them by ``type=`` and still reach everything
of mmpretrain and mmengine.
"""
from mmpretrain.utils import register_all_modules as _register_mmpretrain_modules

# Fill mmpretrain's registries first: a name that is not ours is looked up there.
_register_mmpretrain_modules(init_default_scope=False)

# `compat` sorts first, so its fixes are in place before any component imports.
from . import compat, datasets, engine, evaluation, models, registry  # noqa: E402, F401, I001

__version__ = '0.1.0'
