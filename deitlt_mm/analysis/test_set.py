"""The test images an analysis looks at, as the model sees them, and their class groups."""
import copy
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.utils import ProgressBar
from torch.utils.data import DataLoader, Subset

from ..errors import ConfigValueError
from ..evaluation import LongTailAccuracy
from ..registry import DATASETS, METRICS, SCOPE


def evenly_spaced(total: int, num: Optional[int]) -> List[int]:
    """``num`` indices spread evenly over ``range(total)`` (all of them when ``num`` is
    None or at least ``total``): a fixed subset that still covers every class of a
    test list sorted by class."""
    if num is None or num >= total:
        return list(range(total))
    if num < 1:
        raise ValueError(f'number of images must be >= 1, got {num}')
    return np.unique(np.linspace(0, total - 1, num).round().astype(np.int64)).tolist()


def build_test_loader(cfg: Config, num_images: Optional[int] = None) -> DataLoader:
    """The config's ``test_dataloader`` (its pipeline, batch size, workers, collate),
    limited to ``num_images`` images chosen by :func:`evenly_spaced`."""
    loader_cfg = copy.deepcopy(cfg.test_dataloader)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', SCOPE)):
        dataset = DATASETS.build(loader_cfg.pop('dataset'))
        if hasattr(dataset, 'full_init'):
            dataset.full_init()
        indices = evenly_spaced(len(dataset), num_images)
        if len(indices) < len(dataset):
            dataset = Subset(dataset, indices)
        loader_cfg['dataset'] = dataset
        return Runner.build_dataloader(loader_cfg)


@torch.no_grad()
def preprocessed_batches(model: BaseModel, loader: DataLoader,
                         progress: bool = True) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
    """``(inputs [B, C, H, W], labels [B])`` of every batch, after the model's data
    preprocessor in test mode (normalised, on the model's device), with a progress bar
    (mmengine's ``ProgressBar``, one step per batch) unless ``progress`` is False."""
    bar = ProgressBar(len(loader)) if progress else None
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        labels = torch.cat([sample.gt_label for sample in data['data_samples']])
        yield data['inputs'], labels
        if bar is not None:
            bar.update()
    if bar is not None:
        print(flush=True)  # the bar leaves its line open


def long_tail_metric(cfg: Config) -> LongTailAccuracy:
    """The ``LongTailAccuracy`` of the config's ``test_evaluator`` (its class groups).

    Raises:
        ConfigValueError: the test evaluator has none.
    """
    evaluator = cfg.get('test_evaluator')
    metric_cfgs = evaluator.get('metrics', evaluator) if isinstance(evaluator, dict) \
        else evaluator
    metric_cfgs = metric_cfgs if isinstance(metric_cfgs, (list, tuple)) else [metric_cfgs]
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', SCOPE)):
        for metric_cfg in metric_cfgs:
            metric_type = metric_cfg.get('type') if isinstance(metric_cfg, dict) else None
            metric_class = METRICS.get(metric_type) if isinstance(metric_type, str) \
                else metric_type
            if isinstance(metric_class, type) and issubclass(metric_class, LongTailAccuracy):
                return METRICS.build(copy.deepcopy(metric_cfg))
    raise ConfigValueError(
        f'test_evaluator {evaluator!r} has no LongTailAccuracy: the head / mid / tail '
        'groups of the analysis come from it (e.g. '
        "dict(type='LongTailAccuracy', split='index', cut_points=[a, b])).")


def class_groups(cfg: Config, num_classes: int,
                 train_class_counts: Optional[Sequence[int]]) -> List[str]:
    """``head`` / ``mid`` / ``tail`` of every class, as the config's test run groups them
    (its ``LongTailAccuracy``; a shot split needs the training counts)."""
    metric = long_tail_metric(cfg)
    metric.set_class_counts(train_class_counts)
    return metric.class_groups(num_classes)
