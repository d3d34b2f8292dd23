"""DeiT-LT on MMPretrain / mmengine.

Importing this package registers every component in deitlt_mm's own registries
(``deitlt_mm.registry``, children of mmpretrain's, scope ``'deitlt_mm'``), so configs
with ``default_scope='deitlt_mm'`` name them by ``type=`` and still reach everything of
mmpretrain and mmengine. It changes nothing else in the process: the set-up our runs
need (weights-only checkpoint loads, atomic checkpoint writes, the default scope) is
applied by :func:`deitlt_mm.runtime.setup_env`, which our tools and ``deitlt_mm.apis``
call.
"""
import warnings

from mmpretrain.utils import register_all_modules as _register_mmpretrain_modules

# Printed by mmcv-lite when mmpretrain imports it: an op no deitlt_mm model uses is missing.
_MMCV_LITE_WARNING = 'Fail to import ``MultiScaleDeformableAttention``'

# Fill mmpretrain's registries first: a name that is not ours is looked up there. Only
# mmcv-lite's warning is held back, and only while mmpretrain's modules are imported.
with warnings.catch_warnings():
    warnings.filterwarnings('ignore', message=_MMCV_LITE_WARNING, category=UserWarning)
    _register_mmpretrain_modules(init_default_scope=False)

from . import datasets, engine, evaluation, models, registry  # noqa: E402, F401, I001

__version__ = '0.1.0'
