"""``paramwise_cfg`` with one optimizer param group per distinct setting, not per parameter."""
from typing import Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from ...registry import OPTIM_WRAPPER_CONSTRUCTORS

# mmengine copies a custom key's multipliers into its groups after applying them to
# `lr` / `weight_decay`; nothing reads them afterwards.
MULTIPLIER_KEYS = ('lr_mult', 'decay_mult')


def merge_param_groups(param_groups: List[dict], defaults: Optional[dict] = None) -> List[dict]:
    """Merge param groups whose settings are equal.

    A group's settings are its keys other than ``params``, with ``defaults``
    filled in where the group has none (mmengine leaves ``lr`` / ``weight_decay``
    out when they equal the optimizer's) and without mmengine's bookkeeping
    keys ``lr_mult`` / ``decay_mult`` (already applied). Groups keep the order of
    their first member; parameters keep their order within a group.
    Element-wise optimizers (SGD, Adam, AdamW, ...) treat each parameter on its
    own with its group's settings, so every parameter's update is unchanged;
    only the number of groups (and of per-group optimizer launches) drops.

    Args:
        param_groups (list[dict]): groups as mmengine's ``add_params`` makes
            them, ``{'params': [param], 'lr': ..., 'weight_decay': ...}``.
        defaults (dict, optional): the optimizer's own settings, e.g.
            ``{'lr': 5e-4, 'weight_decay': 0.05}``.

    Returns:
        list[dict]: one group per distinct setting.
    """
    merged: Dict[Tuple, dict] = {}
    for group in param_groups:
        settings = dict(defaults or {})
        settings.update((key, value) for key, value in group.items()
                        if key != 'params' and key not in MULTIPLIER_KEYS)
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
        defaults = {'lr': self.base_lr}
        if self.base_wd is not None:
            defaults['weight_decay'] = self.base_wd
        merged = merge_param_groups(per_parameter, defaults)
        for group in merged:
            settings = ', '.join(f'{k}={v}' for k, v in group.items() if k != 'params')
            print_log(f'param group: {len(group["params"])} parameters, {settings}',
                      logger='current')
        params.extend(merged)
