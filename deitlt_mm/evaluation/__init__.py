from .results import format_metrics, to_jsonable

__all__ = ['format_metrics', 'to_jsonable']
