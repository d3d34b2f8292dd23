"""``paramwise_cfg`` with one optimizer param group per distinct setting, not per parameter."""
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from ...registry import OPTIM_WRAPPER_CONSTRUCTORS


def merge_param_groups(param_groups: List[dict]) -> List[dict]:
    """Merge param groups whose settings (every key but ``params``) are equal.

    Groups keep the order of their first member; parameters keep their order
    within a group. Element-wise optimizers (SGD, Adam, AdamW, ...) treat each
    parameter on its own with its group's settings, so the update of every
    parameter is unchanged; only the number of groups (and of per-group
    optimizer launches) drops.

    Args:
        param_groups (list[dict]): groups as mmengine's ``add_params`` makes
            them, ``{'params': [param], 'lr': ..., 'weight_decay': ...}``.

    Returns:
        list[dict]: one group per distinct setting.
    """
    merged: Dict[Tuple, dict] = {}
    for group in param_groups:
        settings = {key: value for key, value in group.items() if key != 'params'}
        key = tuple(sorted((name, repr(value)) for name, value in settings.items()))
        if key not in merged:
            merged[key] = dict(settings, params=[])
        merged[key]['params'].extend(group['params'])
    return list(merged.values())


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MergedGroupsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's ``DefaultOptimWrapperConstructor`` with merged param groups.

    ``paramwise_cfg`` makes mmengine build one param group per parameter (155 for
    DeiT-S), so AdamW runs one update per parameter. This constructor applies the
    same rules (``norm_decay_mult``, ``bias_decay_mult``, ``custom_keys``, ...)
    parameter by parameter through ``add_params``, then merges the groups with
    identical settings (:func:`merge_param_groups`): two for the DeiT-LT schedule
    (decayed weights; norms, biases, tokens and ``pos_embed`` without decay), as
    timm's optimizer factory does. With ``foreach=True`` the result is bit-identical
    to the per-parameter groups; ``fused=True`` agrees to float32 rounding.

    Use it with ``optim_wrapper = dict(constructor='MergedGroupsOptimWrapperConstructor',
    paramwise_cfg=..., optimizer=...)``; the arguments are mmengine's.
    """

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[int] = None) -> None:
        """Add ``module``'s parameters to ``params``, merged by setting at the top level.

        mmengine recurses through this method with the child's ``prefix``; only the
        outermost call (``prefix == ''``) merges, once every parameter is known.
        """
        if prefix:
            super().add_params(params, module, prefix, is_dcn_module)
            return
        per_parameter: List[dict] = []
        super().add_params(per_parameter, module, prefix, is_dcn_module)
        merged = merge_param_groups(per_parameter)
        for group in merged:
            settings = ', '.join(f'{k}={v}' for k, v in group.items() if k != 'params')
            print_log(f'param group: {len(group["params"])} parameters, '
                      f'{settings or "optimizer defaults"}', logger='current')
        params.extend(merged)
