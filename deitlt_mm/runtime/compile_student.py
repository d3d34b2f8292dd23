"""``torch.compile`` of the student network, driven by mmengine's ``compile`` config key.

mmengine's Runner compiles ``model.train_step`` when a config sets ``compile``. For an
mmpretrain classifier that traces the data preprocessor too: its numpy draws (Mixup
lambda, Mixup-or-CutMix choice), ``DataSample`` fields and CutMix box sizes break the
graph and trigger recompiles (measured on CPU with a tiny student, batch 32: 24
recompiles in 30 steps, 8 of them of CutMix's box, until dynamo's recompile limit; steps
then 2.7x slower than eager). The network
is what benefits from compilation, so ``tools/train.py`` takes the key out of the
config before mmengine sees it and compiles the student's backbone and neck in place
(``nn.Module.compile``: same module objects, same ``state_dict`` keys) with the same
arguments.
"""
from typing import List, Optional, Union

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

STUDENT_PARTS = ('backbone', 'neck')


def pop_compile_cfg(cfg) -> Optional[dict]:
    """Remove mmengine's ``compile`` key from ``cfg``; return its arguments or None.

    ``compile=True`` gives ``{}`` (torch defaults), a dict is passed through,
    ``False`` / absent give None.
    """
    compile_cfg: Union[bool, dict, None] = cfg.pop('compile', None)
    if compile_cfg is None or compile_cfg is False:
        return None
    if compile_cfg is True:
        return {}
    if not isinstance(compile_cfg, dict):
        raise ValueError(f'compile must be True, False or a dict of torch.compile arguments, '
                         f'got {compile_cfg!r}.')
    return dict(compile_cfg)


def compile_student(model: nn.Module, compile_cfg: dict) -> List[str]:
    """Compile the student network of ``model`` in place.

    Args:
        model (nn.Module): the classifier, or a model wrapper (DDP) around it.
        compile_cfg (dict): ``torch.compile`` arguments (``backend``, ``mode``, ...).

    Returns:
        list[str]: the compiled parts (``'backbone'``, and ``'neck'`` if any).
    """
    module = model.module if is_model_wrapper(model) else model
    compiled = []
    for name in STUDENT_PARTS:
        part = getattr(module, name, None)
        if isinstance(part, nn.Module):
            part.compile(**compile_cfg)
            compiled.append(name)
    if not compiled:
        raise ValueError(f'compile: {type(module).__name__} has no backbone or neck to compile.')
    print_log(f'compile: torch.compile({", ".join(compiled)}, {compile_cfg}); the first '
              'iterations include compilation.', logger='current')
    return compiled
