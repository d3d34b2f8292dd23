from .sam_optim_wrapper import SAMOptimWrapper

__all__ = ['SAMOptimWrapper']
