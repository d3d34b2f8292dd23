"""Per-class accuracy against training count, as a PNG."""
import os
import os.path as osp
from typing import Dict, Optional

import numpy as np

BAND_COLOURS = {'head': '#d6e9f8', 'mid': '#fdebd0', 'tail': '#f9d6d5'}


def _find(metrics: Dict, suffix: str):
    for key, value in metrics.items():
        if key == suffix or key.endswith('/' + suffix):
            return value
    return None


def plot_per_class_accuracy(metrics: Dict, path: str, title: Optional[str] = None) -> str:
    """Draw every ``*/per_class`` accuracy curve over classes sorted by index.

    Args:
        metrics (dict): :class:`LongTailAccuracy` output, with or without key
            prefix: ``[prefix/][name/]per_class`` lists, ``class_groups`` and
            optionally ``train_class_counts`` (drawn as grey bars, log scale).
        path (str): PNG file to write (folders are created).
        title (str, optional): figure title.

    Returns:
        str: ``path``. Head / mid / tail bands are shaded behind the curves.
    """
    # A bare Figure on the Agg canvas: no display needed and pyplot's global
    # backend state stays untouched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curves = {}
    for key, value in metrics.items():
        parts = key.split('/')
        if parts[-1] == 'per_class':
            name = parts[-2] if len(parts) >= 2 and parts[-2] in ('avg', 'cls', 'dist', 'teacher') \
                else 'acc'
            curves[name] = np.asarray([np.nan if a is None else a for a in value], dtype=float)
    if not curves:
        raise ValueError('plot_per_class_accuracy: no "per_class" entry in the metrics '
                         f'(keys: {sorted(metrics)})')
    num_classes = len(next(iter(curves.values())))
    classes = np.arange(num_classes)
    fig = Figure(figsize=(10, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()

    counts = _find(metrics, 'train_class_counts')
    # Bands and count bars go on the back axes, accuracy curves on the front one.
    back = ax
    if counts is not None:
        back = ax.twinx()
        back.bar(classes, np.maximum(np.asarray(counts, dtype=float), 1), width=1.0,
                 color='grey', alpha=0.3, zorder=2)
        back.set_yscale('log')
        back.set_ylabel('training images')
        ax.set_zorder(back.get_zorder() + 1)
        ax.patch.set_visible(False)

    groups = _find(metrics, 'class_groups')
    if groups is not None:
        start = 0
        for end in range(1, num_classes + 1):
            if end == num_classes or groups[end] != groups[start]:
                back.axvspan(start - 0.5, end - 0.5, zorder=0,
                             color=BAND_COLOURS.get(groups[start], '#eeeeee'))
                ax.text((start + end - 1) / 2, 102, groups[start], ha='center', va='bottom')
                start = end
    for name, accuracy in curves.items():
        ax.plot(classes, accuracy, marker='.' if num_classes <= 100 else None,
                linewidth=1, label=name.upper())
    ax.set_xlim(-0.5, num_classes - 0.5)
    ax.set_ylim(0, 110)
    ax.set_xlabel('class index (by training frequency)')
    ax.set_ylabel('top-1 accuracy (%)')
    ax.legend(loc='lower left')
    if title:
        ax.set_title(title)
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format='png', dpi=100)
    return path
