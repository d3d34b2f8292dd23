"""Check the data root of a config before a long run (``tools/data/check_data.py``).

For every dataset the config's dataloaders build, the checks report findings
instead of stopping at the first problem, so one run lists everything to fix:

* list-file datasets (ImageNet-LT, iNaturalist-2018): the split's list is present
  and parses, its labels lie in ``[0, num_classes)``, its image and class counts
  match the published ones, every listed image exists (a progress bar: iNat lists
  460k files) and a random sample of them decodes;
* CIFAR-LT: every pickle is present with its official md5, and the split's image
  and class counts match the paper's subset sizes.

Counts are compared with :data:`KNOWN_SIZES` (by dataset type), a parameter so that
tests can check tiny roots against their own sizes.
"""
import copy
import os
import os.path as osp
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
from tqdm import tqdm

from ..errors import DataFileNotFoundError
from ..registry import DATASETS
from .cifar10_lt import CIFAR10LT
from .class_map_file import LOADERS, _innermost
from .list_file_lt_dataset import ListFileLTDataset
from .transforms import LoadImageWithCheck


@dataclass(frozen=True)
class KnownSize:
    """The published size of a dataset.

    Args:
        num_classes (int): classes of every split.
        images (dict): images per split key: ``'train'``, ``'val'``, ``'test'``; a
            long-tailed training subset as ``'train exp IF100'`` (see :func:`split_key`).
    """

    num_classes: int
    images: Mapping[str, int]


# ImageNet-LT and iNaturalist-2018: the published lists (OLTR's ImageNet-LT val list
# has 20 images per class). CIFAR-LT: the subsets the long-tail rule keeps of the
# 5,000 (CIFAR-10) / 500 (CIFAR-100) training images per class; test sets whole.
KNOWN_SIZES: Dict[str, KnownSize] = {
    'ImageNetLT': KnownSize(1000, {'train': 115846, 'val': 20000, 'test': 50000}),
    'INaturalist2018': KnownSize(8142, {'train': 437513, 'val': 24426}),
    'CIFAR10LT': KnownSize(10, {'train exp IF100': 12406, 'train exp IF50': 13996,
                                'test': 10000}),
    'CIFAR100LT': KnownSize(100, {'train exp IF100': 10847, 'train exp IF50': 12608,
                                  'test': 10000}),
}

ERROR, WARNING, OK = 'error', 'warning', 'ok'


@dataclass(frozen=True)
class Finding:
    """One result of a check.

    Attributes:
        level (str): ``'error'`` (the run would fail or train on wrong data),
            ``'warning'`` (a check skipped or deferred) or ``'ok'``.
        kind (str): what was checked, e.g. ``'labels'``, ``'images-missing'``.
        message (str): one line naming the file and what was found / expected.
    """

    level: str
    kind: str
    message: str


@dataclass
class DatasetReport:
    """The findings of one dataset config, shared by the loaders that use it."""

    loaders: List[str]
    title: str
    findings: List[Finding] = field(default_factory=list)

    @property
    def errors(self) -> List[Finding]:
        return [f for f in self.findings if f.level == ERROR]


def split_key(dataset) -> str:
    """The key of a built dataset's split in :attr:`KnownSize.images`.

    ``'train exp IF100'`` for a long-tailed training subset (imbalance factor
    ``1 / imb_factor``), else the split name (``''`` for a dataset without splits).
    """
    if getattr(dataset, 'long_tail', False):
        return f'train {dataset.imb_type} IF{round(1 / dataset.imb_factor)}'
    return getattr(dataset, 'split', '')


def _count_findings(source: str, dataset, labels: Sequence[int],
                    known: Optional[KnownSize]) -> List[Finding]:
    """Image and class counts of a split against the published ones."""
    name, key = type(dataset).__name__, split_key(dataset)
    images, classes = len(labels), len(set(labels))
    expected = known.images.get(key) if known else None
    if known is None or expected is None:
        return [Finding(WARNING, 'count', f'{source}: {images} images of {classes} classes; '
                        f'no published size of {name} {key} to compare with.')]
    findings = []
    if images != expected:
        findings.append(Finding(
            ERROR, 'count', f'{source}: {images} images, but {name} {key} has {expected}; '
            'the data is incomplete or of another split or version.'))
    if classes != known.num_classes:
        findings.append(Finding(
            ERROR, 'classes', f'{source}: {classes} classes, but {name} has '
            f'{known.num_classes}; the data is incomplete or of another dataset.'))
    if not findings:
        findings.append(Finding(OK, 'count', f'{source}: {images} images of {classes} '
                                f'classes, as published for {name} {key}.'))
    return findings


def _missing_images(paths: Sequence[str], progress: bool) -> List[int]:
    """Indices of ``paths`` that do not exist; one directory listing per folder."""
    by_folder = defaultdict(list)
    for index, path in enumerate(paths):
        by_folder[osp.dirname(path)].append(index)
    missing = []
    with tqdm(total=len(paths), desc='images present', unit='img', file=sys.stderr,
              disable=not progress, mininterval=1) as bar:
        for folder, indices in by_folder.items():
            try:
                names = set(os.listdir(folder or '.'))
            except OSError:
                names = set()
            missing.extend(i for i in indices if osp.basename(paths[i]) not in names)
            bar.update(len(indices))
    return sorted(missing)


def _undecodable_images(paths: Sequence[str], progress: bool) -> List[str]:
    """Messages of the ``paths`` that do not decode (``LoadImageWithCheck``'s errors)."""
    load = LoadImageWithCheck()
    failures = []
    for path in tqdm(paths, desc='images decode', unit='img', file=sys.stderr,
                     disable=not progress, mininterval=1):
        try:
            load(dict(img_path=path))
        except ValueError as error:
            failures.append(str(error))
    return failures


def check_list_dataset(dataset: ListFileLTDataset, known: Optional[KnownSize],
                       decode_sample: int = 100, progress: bool = True,
                       seed: int = 0) -> List[Finding]:
    """Check the list of a (lazily built) list-file dataset and its images.

    Args:
        dataset (ListFileLTDataset): built with ``lazy_init=True``.
        known (KnownSize, optional): the published size of its dataset.
        decode_sample (int): how many listed images (drawn with ``seed``) to decode.
        progress (bool): show progress bars on stderr.
        seed (int): seed of the decode sample.

    Returns:
        list[Finding]: nothing more is checked of a list that is missing or
        does not parse.
    """
    path = dataset.ann_file
    try:
        entries = dataset.read_list(path)
    except (DataFileNotFoundError, ValueError) as error:
        return [Finding(ERROR, 'list-missing' if isinstance(error, DataFileNotFoundError)
                        else 'list-line', str(error))]
    labels = [label for _, label, _ in entries]
    findings = _count_findings(path, dataset, labels, known)

    num_classes = dataset.num_classes or (known.num_classes if known else None)
    if num_classes:
        outside = [(line_no, label) for _, label, line_no in entries
                   if not 0 <= label < num_classes]
        if outside:
            line_no, label = outside[0]
            findings.append(Finding(
                ERROR, 'labels', f'{path}: {len(outside)} labels outside [0, {num_classes}) '
                f'(num_classes {num_classes}), the first at line {line_no} (label {label}); '
                'the list is of another dataset or num_classes is wrong.'))

    paths = [osp.join(dataset.img_prefix, rel_path) for rel_path, _, _ in entries]
    missing = _missing_images(paths, progress)
    if missing:
        first = missing[0]
        findings.append(Finding(
            ERROR, 'images-missing', f'{len(missing)} of {len(paths)} images listed in {path} '
            f'are missing, e.g. {paths[first]} (line {entries[first][2]}); copy them there '
            '(docs/data.md shows the layout).'))
    else:
        findings.append(Finding(OK, 'images-missing',
                                f'all {len(paths)} images listed in {path} are present.'))

    missing_set = set(missing)
    present = [p for i, p in enumerate(paths) if i not in missing_set]
    if present and decode_sample > 0:
        rng = np.random.default_rng(seed)
        sample = [present[i] for i in sorted(rng.choice(
            len(present), min(decode_sample, len(present)), replace=False))]
        failures = _undecodable_images(sample, progress)
        if failures:
            findings.append(Finding(
                ERROR, 'image-undecodable', f'{len(failures)} of {len(sample)} sampled images '
                f'of {path} cannot be decoded, e.g. {failures[0]}; copy them again from the '
                'source.'))
        else:
            findings.append(Finding(OK, 'image-undecodable',
                                    f'{len(sample)} sampled images of {path} decode.'))
    return findings


def check_cifar_dataset(dataset: CIFAR10LT, known: Optional[KnownSize],
                        download: bool = True) -> List[Finding]:
    """Check the pickles of a (lazily built) CIFAR-LT dataset and its split's size.

    Args:
        dataset (CIFAR10LT): built with ``lazy_init=True`` and ``download=False``.
        known (KnownSize, optional): the published size of its dataset.
        download (bool): whether the run would download missing files (the config's
            ``download``): then they are a warning, else an error.

    Returns:
        list[Finding]: the split is counted only when every file is present and
        passes its md5 check.
    """
    findings = []
    if dataset.missing_files():
        try:
            dataset.full_init()  # raises the run's error for missing files
        except DataFileNotFoundError as error:
            if download:
                return [Finding(WARNING, 'dataset-missing', f'{error} The run downloads '
                                f'{dataset.filename} (download=True).')]
            return [Finding(ERROR, 'dataset-missing', str(error))]
    checksum_errors = dataset.checksum_errors()
    findings += [Finding(ERROR, 'cifar-md5', str(error)) for error in checksum_errors]
    if checksum_errors:
        return findings
    if dataset.verify_md5:
        findings.append(Finding(OK, 'cifar-md5', f'{dataset.folder}: every file has its '
                                'official md5.'))
    else:
        findings.append(Finding(WARNING, 'cifar-md5', f'{dataset.folder}: md5 not checked '
                                '(verify_md5=False).'))
    try:
        dataset.full_init()
    except ValueError as error:  # a pickle of another format (verify_md5=False)
        return findings + [Finding(ERROR, 'cifar-format', str(error))]
    return findings + _count_findings(dataset.folder, dataset,
                                      dataset.get_gt_labels().tolist(), known)


def _title(dataset_cfg: dict) -> str:
    split = dataset_cfg.get('split', 'train')
    return f"{dataset_cfg['type']}, split {split}, data_root {dataset_cfg.get('data_root')}"


def check_data(cfg, known_sizes: Mapping[str, KnownSize] = KNOWN_SIZES,
               decode_sample: int = 100, progress: bool = True,
               seed: int = 0) -> List[DatasetReport]:
    """Check every dataset of a config's dataloaders; downloads nothing.

    Args:
        cfg (Config | dict): the run config (``train_dataloader``, ``val_dataloader``,
            ``test_dataloader``; datasets inside wrappers are found).
        known_sizes (dict): published sizes by dataset type (default
            :data:`KNOWN_SIZES`); a type without one gets a warning, not a count check.
        decode_sample (int): images to decode per list.
        progress (bool): show progress bars on stderr.
        seed (int): seed of the decode samples.

    Returns:
        list[DatasetReport]: one per distinct dataset config, in loader order.
    """
    reports: List[DatasetReport] = []
    seen: Dict[str, DatasetReport] = {}
    for loader in LOADERS:
        if not cfg.get(loader) or not cfg[loader].get('dataset'):
            continue
        dataset_cfg = copy.deepcopy(dict(_innermost(cfg[loader]['dataset'])))
        dataset_cfg.pop('pipeline', None)
        key = repr(sorted(dataset_cfg.items(), key=lambda item: item[0]))
        if key in seen:
            seen[key].loaders.append(loader)
            continue
        report = seen[key] = DatasetReport([loader], _title(dataset_cfg))
        reports.append(report)
        dataset_type = dataset_cfg['type']
        known = known_sizes.get(dataset_type)
        dataset_class = DATASETS.get(dataset_type)
        if dataset_class is not None and issubclass(dataset_class, ListFileLTDataset):
            dataset = DATASETS.build(dict(dataset_cfg, lazy_init=True))
            report.findings = check_list_dataset(dataset, known, decode_sample, progress,
                                                 seed)
        elif dataset_class is not None and issubclass(dataset_class, CIFAR10LT):
            download = dataset_cfg.get('download', True)
            dataset = DATASETS.build(dict(dataset_cfg, lazy_init=True, download=False))
            report.findings = check_cifar_dataset(dataset, known, download)
        else:
            report.findings = [Finding(WARNING, 'not-checked', f'{dataset_type}: no data '
                                       'check for this dataset type.')]
    return reports


def format_reports(reports: Sequence[DatasetReport], config: str = '') -> str:
    """One screen: a title per dataset, one line per finding, the error count."""
    lines = [f'Data check of {config}'] if config else []
    for report in reports:
        lines.append(f"{', '.join(report.loaders)}: {report.title}")
        lines += [f'  {finding.level}: {finding.message}' for finding in report.findings]
    errors = sum(len(report.errors) for report in reports)
    lines.append(f'{errors} error(s): fix them before training.' if errors else
                 'No errors.')
    return '\n'.join(lines)
