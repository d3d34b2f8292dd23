from .dual_head import DualHead

__all__ = ['DualHead']
