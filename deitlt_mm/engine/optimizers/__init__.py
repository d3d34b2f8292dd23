from .merged_groups_constructor import MergedGroupsOptimWrapperConstructor, merge_param_groups
from .mixed_precision import (
    cpu_bf16_instructions,
    cpu_supports_bf16,
    enable_mixed_precision,
    resolve_autocast_dtype,
)
from .mixed_precision_optim_wrapper import MixedPrecisionOptimWrapper
from .sam_amp_optim_wrapper import SAMAmpOptimWrapper
from .sam_optim_wrapper import SAMOptimWrapper

__all__ = [
    'MergedGroupsOptimWrapperConstructor', 'MixedPrecisionOptimWrapper', 'SAMAmpOptimWrapper',
    'SAMOptimWrapper', 'cpu_bf16_instructions', 'cpu_supports_bf16', 'enable_mixed_precision',
    'merge_param_groups', 'resolve_autocast_dtype'
]
