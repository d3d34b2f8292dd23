from .drw_hook import DRWHook
from .sam_rho_hook import SAMRhoHook
from .train_class_counts_hook import TrainClassCountsHook

__all__ = ['DRWHook', 'SAMRhoHook', 'TrainClassCountsHook']
