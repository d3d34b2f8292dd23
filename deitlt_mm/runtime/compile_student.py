"""``torch.compile`` of the student network, driven by mmengine's ``compile`` config key.

mmengine's Runner compiles ``model.train_step`` when a config sets ``compile``. For an
mmpretrain classifier that traces the data preprocessor too: its numpy draws (Mixup
lambda, Mixup-or-CutMix choice), ``DataSample`` fields and CutMix box sizes break the
graph and trigger recompiles (measured on CPU with a tiny student, batch 32: 24
recompiles in 30 steps, 8 of them of CutMix's box, until dynamo's recompile limit; steps
then 2.7x slower than eager). The network
is what benefits from compilation, so ``tools/train.py`` takes the key out of the
config before mmengine sees it and compiles the student's backbone and neck in place
(``forward`` replaced by its ``torch.compile``: same module objects, same ``state_dict``
keys) with the same arguments.

Recompiles: a run compiles the student twice, once for training and once for
validation (``no_grad`` changes the graph: an inference graph, compiled once and
reused every epoch). A forward pre-hook marks the batch dimension of the compiled
parts' inputs dynamic before the first compile, so the last, smaller batch of an
epoch reuses the graph (unmarked, it would trigger a recompile). Dynamo still
specialises a batch of one sample (one more graph). Under DDP dynamo splits the
training graph at the gradient buckets (DDPOptimizer); the ranks stay in sync.
The hook sits outside the compiled ``forward`` because dynamo refuses
``maybe_mark_dynamic`` inside a traced function, which is why ``nn.Module.compile``
(it compiles the hooks too) is not used. ``compile=dict(dynamic=False)`` turns the
mark off.
"""
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from torch.utils._pytree import tree_leaves

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


def mark_batch_dynamic(module: nn.Module, args: tuple, kwargs: dict) -> None:
    """Forward pre-hook: mark dim 0 (the batch) of every input tensor as dynamic.

    Runs eagerly before the compiled ``forward``, so its first compile already takes
    any batch size (dynamo's ``maybe_mark_dynamic``: no error where the graph needs a
    fixed size; it then specialises as without the mark).
    """
    for leaf in tree_leaves((args, kwargs)):
        if isinstance(leaf, torch.Tensor) and leaf.dim() > 0:
            torch._dynamo.maybe_mark_dynamic(leaf, 0)


def compile_student(model: nn.Module, compile_cfg: dict) -> List[str]:
    """Compile the student network of ``model`` in place.

    Each part's ``forward`` is replaced by its ``torch.compile`` (the module object,
    its parameters and ``state_dict`` keys stay), and, unless ``compile_cfg`` sets
    ``dynamic=False``, a forward pre-hook marks the batch dimension of its inputs
    dynamic (:func:`mark_batch_dynamic`).

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
            part.forward = torch.compile(part.forward, **compile_cfg)
            if compile_cfg.get('dynamic', None) is not False:
                part.register_forward_pre_hook(mark_batch_dynamic, with_kwargs=True)
            compiled.append(name)
    if not compiled:
        raise ValueError(f'compile: {type(module).__name__} has no backbone or neck to compile.')
    print_log(f'compile: torch.compile({", ".join(compiled)}, {compile_cfg}); the first '
              'iterations include compilation.', logger='current')
    return compiled
