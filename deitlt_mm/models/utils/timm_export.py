"""Export a DeiT-LT student to timm's ``VisionTransformerDistilled``.

The inverse of :func:`~deitlt_mm.models.utils.convert_deit_student`, with the same
key mapping (``DEIT_BACKBONE_PREFIXES``, ``DEIT_HEAD_PREFIXES``): the student's
``DistilledVisionTransformer`` already has timm's parameter names under ``backbone.``
and ``DualHead`` holds timm's ``head`` / ``head_dist``.
"""
import math
from collections import OrderedDict
from typing import Dict, Optional

import torch

from ...errors import CheckpointMismatchError
from .checkpoint_import import DEIT_BACKBONE_PREFIXES, DEIT_HEAD_PREFIXES, _key_list

# The timm model whose architecture every DeiT-LT student has; its sizes are arguments.
TIMM_DEIT_DISTILLED = 'deit_base_distilled_patch16_224'
# Keys without which a state dict is not a DeiT-LT student (DIST token and its head).
DEIT_STUDENT_KEYS = ('backbone.cls_token', 'backbone.dist_token', 'backbone.pos_embed',
                     'backbone.patch_embed.proj.weight', 'head.head.weight',
                     'head.head_dist.weight')


def to_timm_deit_state_dict(state_dict: Dict[str, torch.Tensor],
                            source: str = '<state dict>') -> Dict[str, torch.Tensor]:
    """``DistillClassifier`` / published student keys -> timm ``VisionTransformerDistilled``.

    ``backbone.<name>`` -> ``<name>``; ``head.head.*`` -> ``head.*``;
    ``head.head_dist.*`` -> ``head_dist.*``. Tensors are shared, not copied.

    Raises:
        CheckpointMismatchError: naming ``source``, when a key of the student is
            missing (e.g. a no-distillation baseline: no DIST token) or a key has no
            place in timm's model.
    """
    missing = [key for key in DEIT_STUDENT_KEYS if key not in state_dict]
    heads = {ours: theirs for theirs, ours in DEIT_HEAD_PREFIXES.items()}
    converted, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        head = next((prefix for prefix in heads if key.startswith(prefix)), None)
        name = key[len('backbone.'):]
        if head is not None:
            converted[heads[head] + key[len(head):]] = value
        elif key.startswith('backbone.') and name.startswith(DEIT_BACKBONE_PREFIXES):
            converted[name] = value
        else:
            unknown.append(key)
    if missing or unknown:
        raise CheckpointMismatchError(
            f'{source}: not a DeiT-LT student (DistilledVisionTransformer with DIST token + '
            f'DualHead); missing {_key_list(missing)}, not in timm\'s '
            f'VisionTransformerDistilled {_key_list(unknown)}.')
    return converted


def timm_deit_kwargs(timm_state_dict: Dict[str, torch.Tensor],
                     num_heads: Optional[int]) -> dict:
    """``timm.create_model(TIMM_DEIT_DISTILLED, **kwargs)`` arguments of these weights.

    Read from the shapes: ``embed_dim`` (``cls_token [1, 1, D]``), ``patch_size``
    (``patch_embed.proj.weight [D, 3, p, p]``), ``img_size`` (``pos_embed
    [1, N + 2, D]``, ``N = (img_size / p) ** 2``: the training resolution), ``depth``
    (``blocks.<i>``), ``mlp_ratio`` (``blocks.0.mlp.fc1.weight [r * D, D]``),
    ``num_classes`` (``head.weight [C, D]``) and ``in_chans``. ``num_heads`` does not
    change any shape: it comes from the model's config.
    """
    embed_dim = timm_state_dict['cls_token'].shape[-1]
    patch_weight = timm_state_dict['patch_embed.proj.weight']
    grid_side = math.isqrt(timm_state_dict['pos_embed'].shape[1] - 2)
    depth = len({key.split('.')[1] for key in timm_state_dict if key.startswith('blocks.')})
    kwargs = dict(img_size=grid_side * patch_weight.shape[-1], patch_size=patch_weight.shape[-1],
                  in_chans=patch_weight.shape[1], embed_dim=embed_dim, depth=depth,
                  num_heads=num_heads,
                  mlp_ratio=timm_state_dict['blocks.0.mlp.fc1.weight'].shape[0] / embed_dim,
                  num_classes=timm_state_dict['head.weight'].shape[0])
    return kwargs
