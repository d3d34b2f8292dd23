"""A test run's long-tail figures beside the DeiT-LT paper's (``configs/deitlt/metafile.yml``)."""
import json
import os.path as osp
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from ..errors import ConfigValueError
from ..evaluation.report import _cell, _layout
from ..evaluation.results import is_missing, load_long_tail_results
from .run_summary import find_results_files

METAFILE = Path(__file__).resolve().parents[2] / 'configs' / 'deitlt' / 'metafile.yml'
# metafile metric name -> LongTailResults figure (the paper's are the AVG prediction's).
PAPER_METRICS = {'Top 1 Accuracy': 'top1', 'Head Top 1 Accuracy': 'head',
                 'Mid Top 1 Accuracy': 'mid', 'Tail Top 1 Accuracy': 'tail'}
FIGURES = ('top1', 'head', 'mid', 'tail')
HEADER = ('overall', 'head', 'mid', 'tail')


def paper_numbers(config_name: str, metafile=METAFILE) -> Optional[Dict[str, float]]:
    """The paper's AVG figures (``top1``, ``head``, ``mid``, ``tail``) of a config by its
    name (``deitlt_b_cifar10_if100``), None when the metafile has none for it."""
    index = yaml.safe_load(Path(metafile).read_text())
    for model in index['Models']:
        if model['Name'] == config_name and model['Results']:
            metrics = model['Results'][0]['Metrics']
            return {figure: float(metrics[name]) for name, figure in PAPER_METRICS.items()}
    return None


def compare_to_paper(path: str, metafile=METAFILE) -> str:
    """Table of a ``tools/test.py --out`` file (or the one in a work dir): our CLS / DIST /
    AVG (and TEACHER) overall / head / mid / tail, the paper's AVG, and AVG minus the
    paper (percentage points).

    Raises:
        ConfigValueError: no results file, several in a folder, or a config that has no
            paper numbers in the metafile.
    """
    files = find_results_files([path])
    if len(files) != 1:
        raise ConfigValueError(f'{path}: {len(files)} tools/test.py --out files; pass one.')
    with open(files[0], encoding='utf-8') as f:
        config = json.load(f).get('config') or ''
    name = osp.splitext(osp.basename(config))[0]
    paper = paper_numbers(name, metafile)
    if paper is None:
        raise ConfigValueError(f'{files[0]}: config {config!r} has no paper numbers in '
                               f'{metafile}; only the paper settings (configs/deitlt/'
                               'deitlt_b_*.py) have them.')
    results = next(iter(load_long_tail_results(files[0]).values()))
    body: List[List[str]] = []
    for prediction in ('cls', 'dist', 'avg', 'teacher'):
        accuracy = results.predictions.get(prediction)
        if accuracy is not None:
            body.append([f'ours {prediction.upper()}',
                         *(_cell(getattr(accuracy, figure)) for figure in FIGURES)])
    body.append(['paper AVG', *(_cell(paper[figure]) for figure in FIGURES)])
    ours = results.predictions.get('avg')
    if ours is not None:
        body.append(['AVG - paper', *(_difference(getattr(ours, figure), paper[figure])
                                      for figure in FIGURES)])
    return f'{name} ({files[0]})\n' + _layout(['', *HEADER], body)


def _difference(ours, paper) -> str:
    return '-' if is_missing(ours) else f'{ours - paper:+.2f}'
