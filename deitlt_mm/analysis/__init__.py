"""Analyses of trained models and of many test runs (the functions behind
``tools/analysis/``): attention distance, feature rank, run summaries."""
from .attention_distance import attention_distance_report, mean_attention_distance
from .feature_rank import effective_rank, feature_rank_report, singular_values
from .run_summary import summarize_runs

__all__ = ['attention_distance_report', 'effective_rank', 'feature_rank_report',
           'mean_attention_distance', 'singular_values', 'summarize_runs']
