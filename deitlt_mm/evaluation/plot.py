"""Per-class accuracy against training count, as a PNG."""
from typing import Optional

import numpy as np

from ..figures import label_groups, new_figure, save_figure, shade_groups
from .results import PLAIN, LongTailResults


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
    curves = {'acc' if name == PLAIN else name:
              np.asarray([np.nan if a is None else a for a in accuracy.per_class], dtype=float)
              for name, accuracy in results.predictions.items()}
    num_classes = len(next(iter(curves.values())))
    classes = np.arange(num_classes)
    fig, ax = new_figure((10, 4.5))

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

    if results.class_groups:
        shade_groups(back, results.class_groups)
        label_groups(ax, results.class_groups, 102)
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
    return save_figure(fig, path)
