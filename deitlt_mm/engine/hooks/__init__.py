from .drw_hook import DRWHook
from .sam_rho_hook import SAMRhoHook

__all__ = ['DRWHook', 'SAMRhoHook']
