"""Many test runs in one table and one per-class plot (``tools/analysis/summarize_runs.py``).

Reads the JSON files ``tools/test.py --out`` writes (``config``, ``checkpoint``,
``epoch`` / ``iter`` of the checkpoint, ``metrics``, ``long_tail``: structured
``LongTailResults`` by metric prefix), given directly or found under work dirs.
Optionally the paper's AVG figures (``configs/deitlt/metafile.yml``) join the table.
"""
import csv
import io
import json
import os
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..errors import ConfigValueError
from ..evaluation.report import ordered_prediction_names
from ..evaluation.results import PLAIN, LongTailResults, is_missing
from ..figures import new_figure, save_figure
from ..fileio import atomic_write, check_writable

COLUMNS = ('run', 'config', 'epoch', 'prediction', 'overall', 'head', 'mid', 'tail')
# `run` of the rows holding the paper's numbers (prediction AVG: the paper has no other).
PAPER_RUN = 'paper'
FIGURES = ('top1', 'head', 'mid', 'tail')
# Keys of a `tools/test.py --out` file (the demo's summary.json has `long_tail` only).
RESULTS_KEYS = ('config', 'checkpoint', 'long_tail')
LINE_STYLES = {'avg': '-', 'cls': ':', 'dist': '--', 'teacher': '-.', PLAIN: '-'}
# With more classes than this the per-class curves are running means over the classes
# sorted by training count (`SMOOTHING_CLASSES` of them), single classes being too noisy.
MAX_RAW_CLASSES = 100
SMOOTHING_CLASSES = 20


@dataclass
class Run:
    """One evaluation: a ``LongTailAccuracy`` of one ``tools/test.py --out`` file."""
    name: str
    path: str
    config: str
    checkpoint: str
    epoch: Optional[str]
    results: LongTailResults


def is_results_file(path: str) -> bool:
    """Whether ``path`` is a JSON object with the keys ``tools/test.py --out`` writes."""
    try:
        with open(path, encoding='utf-8') as f:
            if f.read(1) != '{':
                return False
            f.seek(0)
            content = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError):
        return False  # JSON-lines logs, other files
    return isinstance(content, dict) and all(key in content for key in RESULTS_KEYS)


def find_results_files(paths: Sequence[str]) -> List[str]:
    """Every results file among ``paths``: files as given, folders searched recursively
    (sorted by path). A path that does not exist, a folder without any results file or a
    given file that is not one is a ``ConfigValueError``."""
    found = []
    for path in paths:
        if osp.isfile(path):
            if not is_results_file(path):
                raise ConfigValueError(
                    f'{path}: not a tools/test.py --out file (a JSON object with '
                    f'{", ".join(RESULTS_KEYS)}).')
            found.append(path)
        elif osp.isdir(path):
            inside = sorted(osp.join(folder, name) for folder, _, names in os.walk(path)
                            for name in names if name.endswith('.json'))
            inside = [p for p in inside if is_results_file(p)]
            if not inside:
                raise ConfigValueError(
                    f'{path}: no tools/test.py --out file under this folder (JSON with '
                    f'{", ".join(RESULTS_KEYS)}); run `python tools/test.py CONFIG CHECKPOINT '
                    '--out results.json` first.')
            found.extend(inside)
        else:
            raise ConfigValueError(f'{path}: no such file or folder.')
    return list(dict.fromkeys(osp.normpath(p) for p in found))


def run_names(paths: Sequence[str]) -> List[str]:
    """Short distinct names: each file's path from the folder all files share, without
    ``.json``; the file name is dropped when every file has the same one
    (``work_dirs/a/results.json``, ``work_dirs/b/results.json`` -> ``a``, ``b``)."""
    absolute = [osp.abspath(p) for p in paths]
    common = osp.commonpath([osp.dirname(p) for p in absolute])
    same_file_name = len({osp.basename(p) for p in absolute}) == 1 and len(absolute) > 1
    names = []
    for path in absolute:
        target = osp.dirname(path) if same_file_name else osp.splitext(path)[0]
        name = osp.relpath(target, common)
        names.append(osp.basename(osp.dirname(path)) if name == '.' else name)
    return names


def checkpoint_epoch(content: dict) -> Optional[str]:
    """The training progress of the tested checkpoint: ``epoch``/``iter`` that
    ``tools/test.py`` stored, else the number in a ``epoch_N.pth`` / ``iter_N.pth`` name."""
    if content.get('epoch') is not None:
        return str(content['epoch'])
    if content.get('iter') is not None:
        return f'iter {content["iter"]}'
    match = re.search(r'(epoch|iter)_(\d+)\.pth', str(content.get('checkpoint', '')))
    if match is None:
        return None
    return match.group(2) if match.group(1) == 'epoch' else f'iter {match.group(2)}'


def load_runs(paths: Sequence[str]) -> List[Run]:
    """:func:`find_results_files`, each file's ``LongTailResults`` as a :class:`Run`
    (named ``name:prefix`` when a file holds several)."""
    files = find_results_files(paths)
    runs = []
    for path, name in zip(files, run_names(files)):
        with open(path, encoding='utf-8') as f:
            content = json.load(f)
        entries = content['long_tail'] or {}
        for prefix, data in entries.items():
            try:
                results = LongTailResults.from_dict(data)
            except ValueError as error:
                raise ConfigValueError(f'{path}: long_tail.{prefix}: {error}') from None
            runs.append(Run(name=name if len(entries) == 1 else f'{name}:{prefix}', path=path,
                            config=osp.splitext(osp.basename(str(content['config'])))[0],
                            checkpoint=str(content['checkpoint']),
                            epoch=checkpoint_epoch(content), results=results))
    return runs


def summary_rows(runs: Sequence[Run], paper: bool = False) -> List[dict]:
    """One row per run and prediction: ``COLUMNS``, figures as floats (None if missing);
    ``prediction`` is ``CLS`` / ``DIST`` / ``AVG`` / ``TEACHER``, ``ACC`` for a plain
    classifier.

    With ``paper``, every config that has paper numbers (``paper_numbers`` of
    :mod:`.paper_comparison`) gets one row ``run`` = ``PAPER_RUN``, ``prediction`` =
    ``AVG``, no epoch, right after the rows of its last run; other configs get none.
    """
    if paper:
        # Imported here: paper_comparison finds results files with this module.
        from .paper_comparison import paper_numbers
        last_run_of_config = {run.config: run for run in runs}
    rows = []
    for run in runs:
        for name in ordered_prediction_names(run.results):
            accuracy = run.results.predictions[name]
            figures = [None if is_missing(getattr(accuracy, f)) else getattr(accuracy, f)
                       for f in FIGURES]
            rows.append(dict(zip(COLUMNS, [run.name, run.config, run.epoch,
                                           'ACC' if name == PLAIN else name.upper(),
                                           *figures])))
        if paper and last_run_of_config[run.config] is run:
            published = paper_numbers(run.config)
            if published is not None:
                rows.append(dict(zip(COLUMNS, [PAPER_RUN, run.config, None, 'AVG',
                                               *(published[f] for f in FIGURES)])))
    return rows


def format_markdown(rows: Sequence[dict]) -> str:
    """A Markdown table of :func:`summary_rows` (percentages with two decimals, ``-``
    for a missing figure or epoch)."""
    def cell(value):
        if value is None:
            return '-'
        return f'{value:.2f}' if isinstance(value, float) else str(value)

    lines = ['| ' + ' | '.join(COLUMNS) + ' |',
             '|' + '|'.join('---' if c in COLUMNS[:4] else '---:' for c in COLUMNS) + '|']
    lines += ['| ' + ' | '.join(cell(row[c]) for c in COLUMNS) + ' |' for row in rows]
    return '\n'.join(lines) + '\n'


def format_csv(rows: Sequence[dict]) -> str:
    """CSV of :func:`summary_rows` (full precision, empty for a missing value)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator='\n')
    writer.writeheader()
    writer.writerows({c: '' if row[c] is None else row[c] for c in COLUMNS} for row in rows)
    return buffer.getvalue()


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centred running mean over ``window`` values, ignoring NaN (edges: shorter windows)."""
    kernel = np.ones(window)
    valid = ~np.isnan(values)
    sums = np.convolve(np.where(valid, values, 0.0), kernel, mode='same')
    counts = np.convolve(valid.astype(float), kernel, mode='same')
    with np.errstate(invalid='ignore', divide='ignore'):
        return sums / counts


def plot_runs_per_class(runs: Sequence[Run], path: str) -> Dict[str, list]:
    """Per-class top-1 accuracy of every run and prediction over the classes' training
    counts (log x), one colour per run, one line style per prediction.

    Runs without training counts are left out when others have them; when none has
    them, the x axis is the class index. With more than ``MAX_RAW_CLASSES`` classes a
    curve is the running mean over ``SMOOTHING_CLASSES`` classes.

    Returns:
        dict: ``{'plotted': [run names], 'left_out': [run names]}``.
    """
    with_counts = [run for run in runs if run.results.train_class_counts is not None]
    by_count = bool(with_counts)
    plotted = with_counts if by_count else list(runs)
    fig, ax = new_figure((10, 5))
    smoothed = False
    for index, run in enumerate(plotted):
        num_classes = len(run.results.class_groups)
        x = np.asarray(run.results.train_class_counts if by_count else range(num_classes),
                       dtype=float)
        order = np.argsort(-x, kind='stable') if by_count else np.arange(num_classes)
        for name in ordered_prediction_names(run.results):
            per_class = np.asarray([np.nan if a is None else a
                                    for a in run.results.predictions[name].per_class])[order]
            if num_classes > MAX_RAW_CLASSES:
                per_class, smoothed = running_mean(per_class, SMOOTHING_CLASSES), True
            label = f'{run.name} {"ACC" if name == PLAIN else name.upper()}'
            ax.plot(x[order], per_class, LINE_STYLES.get(name, '-'), color=f'C{index % 10}',
                    marker='.' if num_classes <= MAX_RAW_CLASSES else None, label=label)
    if by_count:
        ax.set_xscale('log')
        ax.invert_xaxis()  # head classes (most images) on the left, as in the class index
        ax.set_xlabel('training images of the class (log scale)')
    else:
        ax.set_xlabel('class index (by training frequency)')
    ax.set_ylabel('top-1 accuracy (%)' + (f', running mean over {SMOOTHING_CLASSES} classes'
                                          if smoothed else ''))
    ax.set_ylim(0, 105)
    ax.grid(alpha=0.3)
    ax.legend(fontsize='small', ncol=2 if len(plotted) > 2 else 1)
    ax.set_title('Per-class accuracy (line style: prediction, colour: run)')
    save_figure(fig, path)
    return dict(plotted=[run.name for run in plotted],
                left_out=[run.name for run in runs if run not in plotted])


def summarize_runs(paths: Sequence[str], out_dir: str,
                   paper: bool = False) -> Dict[str, object]:
    """Write ``runs.md``, ``runs.csv`` and ``runs_per_class.png`` under ``out_dir``; with
    ``paper`` the table (not the plot: the paper has no per-class figures) also holds the
    paper's AVG row of each paper setting (:func:`summary_rows`).

    Returns:
        dict: the written paths (``markdown``, ``csv``, ``png``), the ``markdown`` table
        text as ``table``, the plot's ``left_out`` runs and the configs given a paper row
        (``paper_configs``).
    """
    written = dict(markdown=osp.join(out_dir, 'runs.md'), csv=osp.join(out_dir, 'runs.csv'),
                   png=osp.join(out_dir, 'runs_per_class.png'))
    for path in written.values():
        check_writable(path, what='--out')
    runs = load_runs(paths)
    rows = summary_rows(runs, paper=paper)
    table = format_markdown(rows)
    atomic_write(written['markdown'], table)
    atomic_write(written['csv'], format_csv(rows))
    plot = plot_runs_per_class(runs, written['png'])
    return dict(written, table=table, left_out=plot['left_out'],
                paper_configs=[row['config'] for row in rows if row['run'] == PAPER_RUN])
