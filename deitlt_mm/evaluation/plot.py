"""Per-class accuracy against training count, as a PNG."""
import os
import os.path as osp
from typing import Optional

import numpy as np

from .results import PLAIN, LongTailResults

BAND_COLOURS = {'head': '#d6e9f8', 'mid': '#fdebd0', 'tail': '#f9d6d5'}


def plot_per_class_accuracy(results: LongTailResults, path: str,
                            title: Optional[str] = None) -> str:
    """Draw the per-class accuracy of every prediction over classes sorted by index.

    Args:
        results (LongTailResults): one evaluation; its training counts, when known,
            are drawn as grey bars (log scale) and its class groups as bands.
        path (str): PNG file to write (folders are created).
        title (str, optional): figure title.

    Returns:
        str: ``path``. Head / mid / tail bands are shaded behind the curves.
    """
    # A bare Figure on the Agg canvas: no display needed and pyplot's global
    # backend state stays untouched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curves = {'acc' if name == PLAIN else name:
              np.asarray([np.nan if a is None else a for a in accuracy.per_class], dtype=float)
              for name, accuracy in results.predictions.items()}
    num_classes = len(next(iter(curves.values())))
    classes = np.arange(num_classes)
    fig = Figure(figsize=(10, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.subplots()

    counts = results.train_class_counts
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

    groups = results.class_groups
    if groups:
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
