from .merged_groups_constructor import MergedGroupsOptimWrapperConstructor, merge_param_groups
from .mixed_precision import (
    apply_default_precision,
    choose_autocast_dtype,
    cpu_bf16_instructions,
    cpu_supports_bf16,
    disable_mixed_precision,
    enable_mixed_precision,
    enable_tf32,
    resolve_autocast_dtype,
)
from .mixed_precision_optim_wrapper import MixedPrecisionOptimWrapper
from .sam_amp_optim_wrapper import SAMAmpOptimWrapper
from .sam_optim_wrapper import SAMOptimWrapper

__all__ = [
    'MergedGroupsOptimWrapperConstructor', 'MixedPrecisionOptimWrapper', 'SAMAmpOptimWrapper',
    'SAMOptimWrapper', 'apply_default_precision', 'choose_autocast_dtype',
    'cpu_bf16_instructions', 'cpu_supports_bf16', 'disable_mixed_precision',
    'enable_mixed_precision', 'enable_tf32', 'merge_param_groups', 'resolve_autocast_dtype'
]
