from .sam_amp_optim_wrapper import SAMAmpOptimWrapper
from .sam_optim_wrapper import SAMOptimWrapper

__all__ = ['SAMAmpOptimWrapper', 'SAMOptimWrapper']
