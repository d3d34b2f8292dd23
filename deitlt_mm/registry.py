"""deitlt_mm's registries: children of mmpretrain's, in the scope ``'deitlt_mm'``.

Every component of this package registers here, never in mmpretrain's own
registries, so importing ``deitlt_mm`` changes nothing for mmpretrain's configs:
inside the ``mmpretrain`` scope every name still builds mmpretrain's class.
Configs of this project set ``default_scope = 'deitlt_mm'``; a name is then
looked up here first and, when it is not ours, in mmpretrain's registry and
mmengine's root above it, so ``ImageClassifier``, ``Mixup``, ``AdamW``,
``CheckpointHook`` ... stay reachable. mmengine finds this module by the scope
name (it imports ``deitlt_mm.registry`` when the scope is switched to).

This is how downstream OpenMMLab code bases extend a parent code base
(mmengine's "registry" tutorial, "use modules across projects").
"""
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import Registry
from mmpretrain import registry as mmpretrain_registry

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'BATCH_AUGMENTS', 'TASK_UTILS', 'METRICS', 'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS'
]

SCOPE = 'deitlt_mm'


def _child(name: str, location: str) -> Registry:
    """A ``deitlt_mm``-scoped child of mmpretrain's registry of the same name."""
    parent = getattr(mmpretrain_registry, name)
    return Registry(parent.name, parent=parent, scope=SCOPE, locations=[location])


RUNNERS = _child('RUNNERS', 'deitlt_mm.engine')
RUNNER_CONSTRUCTORS = _child('RUNNER_CONSTRUCTORS', 'deitlt_mm.engine')
LOOPS = _child('LOOPS', 'deitlt_mm.engine')
HOOKS = _child('HOOKS', 'deitlt_mm.engine')
LOG_PROCESSORS = _child('LOG_PROCESSORS', 'deitlt_mm.engine')
OPTIMIZERS = _child('OPTIMIZERS', 'deitlt_mm.engine')
OPTIM_WRAPPERS = _child('OPTIM_WRAPPERS', 'deitlt_mm.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('OPTIM_WRAPPER_CONSTRUCTORS', 'deitlt_mm.engine')
PARAM_SCHEDULERS = _child('PARAM_SCHEDULERS', 'deitlt_mm.engine')
DATASETS = _child('DATASETS', 'deitlt_mm.datasets')
DATA_SAMPLERS = _child('DATA_SAMPLERS', 'deitlt_mm.datasets')
TRANSFORMS = _child('TRANSFORMS', 'deitlt_mm.datasets')
MODELS = _child('MODELS', 'deitlt_mm.models')
# A child of mmengine's root node (mmpretrain registers no wrappers): Runner.wrap_model
# looks `model_wrapper_cfg.type` up in the root without switching scope, and the root
# resolves a scoped name ('deitlt_mm.DeviceAwareDistributedDataParallel') only among its
# direct children.
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, scope=SCOPE,
                          locations=['deitlt_mm.engine.model_wrappers'])
WEIGHT_INITIALIZERS = _child('WEIGHT_INITIALIZERS', 'deitlt_mm.models')
BATCH_AUGMENTS = _child('BATCH_AUGMENTS', 'deitlt_mm.models')
TASK_UTILS = _child('TASK_UTILS', 'deitlt_mm.models')
METRICS = _child('METRICS', 'deitlt_mm.evaluation')
EVALUATORS = _child('EVALUATORS', 'deitlt_mm.evaluation')
VISUALIZERS = _child('VISUALIZERS', 'deitlt_mm')
VISBACKENDS = _child('VISBACKENDS', 'deitlt_mm')
