from .drw_hook import DRWHook

__all__ = ['DRWHook']
