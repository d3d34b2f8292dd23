"""Matplotlib figures without pyplot, written atomically as PNG.

A bare ``Figure`` on the Agg canvas needs no display and leaves pyplot's global
backend state untouched; the PNG is rendered in memory and written with
:func:`deitlt_mm.fileio.atomic_write`, so a reader never sees half a file.
"""
import io
from typing import Tuple

from .fileio import atomic_write

# Shading of the head / mid / tail class groups, shared by every plot.
GROUP_COLOURS = {'head': '#d6e9f8', 'mid': '#fdebd0', 'tail': '#f9d6d5'}


def new_figure(size: Tuple[float, float], ncols: int = 1):
    """``(figure, axes)``: one axes, or a row of ``ncols`` axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(ncols=ncols)


def group_spans(groups):
    """``(group, first class, last class)`` of every run of equal class group."""
    spans, start = [], 0
    for end in range(1, len(groups) + 1):
        if end == len(groups) or groups[end] != groups[start]:
            spans.append((groups[start], start, end - 1))
            start = end
    return spans


def shade_groups(ax, groups) -> None:
    """Shade the head / mid / tail runs of ``groups`` (one per class index) on ``ax``."""
    for group, first, last in group_spans(groups):
        ax.axvspan(first - 0.5, last + 0.5, zorder=0, color=GROUP_COLOURS.get(group, '#eeeeee'))


def label_groups(ax, groups, y: float) -> None:
    """Write each run's group name above it, at height ``y`` (data units of ``ax``)."""
    for group, first, last in group_spans(groups):
        ax.text((first + last) / 2, y, group, ha='center', va='bottom')


def save_figure(fig, path: str, dpi: int = 100) -> str:
    """Lay out ``fig`` and write it to ``path`` as PNG (folders created); returns ``path``."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=dpi)
    atomic_write(path, buffer.getvalue())
    return path
