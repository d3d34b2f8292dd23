"""A trained model from its config and checkpoint, ready to predict (inference, analyses)."""
import copy
from typing import Optional, Sequence, Union

import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope

from ..engine.hooks.train_class_counts_hook import CHECKPOINT_META_KEY
from ..models.utils import load_model_checkpoint
from ..registry import DATASETS, MODELS, SCOPE
from ..runtime.config import check_cfg_options, load_config
from ..runtime.env import setup_env
from ..runtime.student_cfg import student_model_cfg


def dataset_class(dataset_cfg: dict) -> Optional[type]:
    """The class a dataset config builds (None when it cannot be found)."""
    dataset_type = dataset_cfg.get('type') if isinstance(dataset_cfg, dict) else None
    if not isinstance(dataset_type, str):
        return dataset_type if isinstance(dataset_type, type) else None
    with DefaultScope.overwrite_default_scope(SCOPE):
        return DATASETS.get(dataset_type)


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               cfg_options: Optional[dict] = None) -> BaseModel:
    """Build the model of ``config`` (the student alone, :func:`student_model_cfg`), load
    ``checkpoint`` strictly and put it in eval mode on ``device``.

    mmpretrain's ``get_model`` builds in mmpretrain's scope, where deitlt_mm's
    components do not exist; this builds in the config's scope and loads with
    :func:`~deitlt_mm.models.utils.load_model_checkpoint` (every key, same shapes).

    Args:
        config (str | Config): config file or loaded config.
        checkpoint (str, optional): weights (an mmengine checkpoint or a state dict).
        device (str | torch.device): where the model runs.
        cfg_options (dict, optional): ``--cfg-options`` to merge (checked first).

    Returns:
        BaseModel: with the attributes mmpretrain's inferencers read: ``_config``
        (the merged config) and ``_dataset_meta`` (the checkpoint's ``dataset_meta``,
        else the test dataset class's ``METAINFO``: ``classes`` names), and
        ``_checkpoint_meta`` (the checkpoint's ``meta``, e.g. training class counts).
    """
    # Checkpoints written by mmengine (message hub inside) load weights-only after this.
    setup_env()
    cfg = copy.deepcopy(config) if isinstance(config, Config) else load_config(config)
    if cfg_options:
        check_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', SCOPE)):
        model = MODELS.build(student_model_cfg(cfg))
    meta = {}
    if checkpoint is not None:
        meta = load_model_checkpoint(model, checkpoint).get('meta') or {}
    dataset_meta = meta.get('dataset_meta')
    if not dataset_meta:
        test_dataset = dataset_class(cfg.get('test_dataloader', {}).get('dataset'))
        dataset_meta = dict(getattr(test_dataset, 'METAINFO', None) or {})
    model._config = cfg
    model._dataset_meta = dataset_meta
    model._checkpoint_meta = meta
    return model.to(device).eval()


def train_class_counts(model: BaseModel) -> Optional[Sequence[int]]:
    """Training images per class stored with the model's checkpoint (None if unknown)."""
    counts = getattr(model, '_checkpoint_meta', {}).get(CHECKPOINT_META_KEY)
    return None if counts is None else [int(c) for c in counts]
