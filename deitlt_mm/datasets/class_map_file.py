"""The class map file a run shares between its datasets and an original-order teacher.

Published ImageNet-LT / iNaturalist-2018 teachers predict the datasets' original
labels, the student the frequency-ordered ones. Such a run names one class map
file twice: the datasets load it (``class_map_file``, relative to ``data_root``)
and ``DistillClassifier`` permutes the teacher with it
(``teacher_class_map_file``). The model is built before the datasets, so the file
must exist before the run: :func:`save_dataset_class_map` writes it from the
training list (``tools/data/save_class_map.py``), and :func:`check_teacher_class_map`
refuses a config whose datasets would use another map than the teacher.
"""
import copy
import os.path as osp
from typing import Optional

import numpy as np

from ..errors import ConfigValueError
from ..registry import DATASETS
from .class_map import load_class_map

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _innermost(dataset_cfg: dict) -> dict:
    """The dataset config inside wrappers (``RepeatDataset(dataset=...)``, ...)."""
    while isinstance(dataset_cfg.get('dataset'), dict):
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def dataset_class_map_path(dataset_cfg: dict) -> Optional[str]:
    """The class map file a dataset config loads (``data_root/class_map_file``), or None."""
    dataset_cfg = _innermost(dataset_cfg)
    class_map_file = dataset_cfg.get('class_map_file')
    if not class_map_file:
        return None
    data_root = dataset_cfg.get('data_root') or ''
    return class_map_file if osp.isabs(class_map_file) or not data_root \
        else osp.join(data_root, class_map_file)


def check_teacher_class_map(cfg) -> None:
    """With ``model.teacher_label_order='original'``, every dataset must load the teacher's map.

    Args:
        cfg (Config | dict): a run config (``model`` and the three dataloaders).

    Raises:
        ValueError: naming the dataloader whose dataset computes its own map or
            loads another file than ``model.teacher_class_map_file``.
    """
    model = cfg.get('model') or {}
    teacher_map = model.get('teacher_class_map_file')
    if model.get('teacher_label_order', 'student') != 'original' or teacher_map is None:
        return  # DistillClassifier itself refuses an original order without a map
    for loader in LOADERS:
        if not cfg.get(loader):
            continue
        dataset_map = dataset_class_map_path(cfg[loader]['dataset'])
        if dataset_map is None:
            raise ConfigValueError(
                f"model.teacher_label_order='original' re-orders the teacher with "
                f'{teacher_map}, but {loader}.dataset loads no class map file and would '
                f'compute its own: set {loader}.dataset.class_map_file to that file '
                '(relative to its data_root).')
        if osp.abspath(dataset_map) != osp.abspath(teacher_map):
            raise ConfigValueError(
                f'{loader}.dataset loads the class map {dataset_map} but the teacher is '
                f're-ordered with model.teacher_class_map_file={teacher_map}: both must be '
                'the same file, or the teacher distils in another label order than the '
                'student learns.')


def save_dataset_class_map(dataset_cfg: dict, path: str) -> bool:
    """Compute a list-file dataset's class map from its training list and write it.

    Args:
        dataset_cfg (dict): a ``ListFileLTDataset`` config (e.g. the training
            dataloader's); its own ``class_map_file``, pipeline and image checks are
            ignored, only the list files are read.
        path (str): the JSON file to write.

    Returns:
        bool: True if written, False if ``path`` already holds this very map.

    Raises:
        FileExistsError: ``path`` holds a different map. It is not replaced:
            checkpoints trained with it predict in its order.
    """
    dataset_cfg = copy.deepcopy(dict(_innermost(dataset_cfg)))
    dataset_cfg.update(class_map_file=None, check_files=False, pipeline=[])
    dataset = DATASETS.build(dataset_cfg)
    if not hasattr(dataset, 'save_class_map'):
        raise TypeError(f'{type(dataset).__name__} has no class map (expected a '
                        'ListFileLTDataset such as ImageNetLT or INaturalist2018).')
    if osp.isfile(path):
        class_map, counts = load_class_map(path)
        if class_map == dataset.class_map and np.array_equal(counts,
                                                             dataset.train_counts_original):
            return False
        moved = sum(class_map.get(k) != v for k, v in dataset.class_map.items())
        raise FileExistsError(
            f'{path} holds another class map ({moved} of {len(dataset.class_map)} classes '
            'change index with the training list now configured). It is left as it is: '
            'runs and checkpoints made with it use its order. Remove it yourself to '
            're-map, or write elsewhere with --out.')
    dataset.save_class_map(path)
    return True
