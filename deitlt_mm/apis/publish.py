"""A finished run as files to share: the published checkpoint and the timm export.

:func:`publish_checkpoint` keeps what evaluation and inference read from a checkpoint
of ``tools/train.py`` (the model's weights and ``meta``) and drops what only resuming
needs (optimizer state, message hub, parameter schedulers, EMA copies), as
mmpretrain's ``tools/model_converters/publish_model.py`` does; the file's name ends in
the first 8 hex digits of its sha256. :func:`export_timm_checkpoint` writes a DeiT-LT
student as a state dict of timm's ``VisionTransformerDistilled``.

Config texts stored in checkpoints are read with :mod:`ast`, never run: a shared file
must not execute code when it is read (mmengine's ``Config.fromstring`` would).
"""
import ast
import hashlib
import io
from pathlib import Path
from typing import Any, Dict, Optional, Union

import torch

from ..errors import CheckpointMismatchError, ConfigValueError
from ..fileio import atomic_write, check_writable, load_checkpoint_file
from ..models.backbones.distilled_vit import DistilledVisionTransformer
from ..models.utils import extract_state_dict
from ..models.utils.checkpoint_import import _key_list
from ..models.utils.timm_export import timm_deit_kwargs, to_timm_deit_state_dict

PathLike = Union[str, Path]

# Hex digits of the file's sha256 in a published name (mmpretrain's convention).
PUBLISHED_HASH_CHARS = 8
# Prefix of the message hub's runtime-info / meta entries with the best validation
# scores (mmengine's CheckpointHook with save_best: best_score, best_ckpt, ...).
BEST_PREFIX = 'best_'


def config_values(cfg_text: str) -> Dict[str, Any]:
    """Top-level variables of an mmengine config text (e.g. ``checkpoint['meta']['cfg']``).

    Values are rebuilt from the syntax tree: literals, lists, tuples, ``{...}`` and
    ``dict(k=v, ...)``; any other expression (a name, a call) reads as ``None``.
    Nothing in the text runs.
    """
    values = {}
    for statement in ast.parse(cfg_text).body:
        if (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            values[statement.targets[0].id] = _literal(statement.value)
    return values


def _literal(node: ast.AST) -> Any:
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == 'dict' and not node.args):
        return {keyword.arg: _literal(keyword.value) for keyword in node.keywords
                if keyword.arg is not None}
    if isinstance(node, ast.Dict):
        return {_literal(key): _literal(value) for key, value in zip(node.keys, node.values)
                if key is not None}
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_literal(item) for item in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _training_checkpoint(path: PathLike) -> dict:
    """The checkpoint at ``path``, checked to be one of ``tools/train.py``."""
    checkpoint = load_checkpoint_file(path)
    if not (isinstance(checkpoint, dict) and isinstance(checkpoint.get('state_dict'), dict)
            and isinstance(checkpoint.get('meta'), dict)
            and isinstance(checkpoint['meta'].get('cfg'), str)):
        if not isinstance(checkpoint, dict):
            found = f'a {type(checkpoint).__name__}'
        elif all(isinstance(value, torch.Tensor) for value in checkpoint.values()):
            found = 'tensor keys (a plain state dict)'
        else:
            found = f'keys {_key_list(checkpoint)}'
        raise CheckpointMismatchError(
            f'{path}: not a checkpoint of tools/train.py (expected `state_dict` and `meta` '
            f'with the training config `meta.cfg`), found {found}; publish the epoch_*.pth '
            'or best_*.pth of a run (published DeiT-LT files are converted with '
            'tools/convert/deitlt_student.py).')
    return checkpoint


def _dataset_type(cfg_values: Dict[str, Any]) -> Optional[str]:
    """Type of the (innermost, for wrappers) training set, else of the test set."""
    for loader in ('train_dataloader', 'test_dataloader'):
        dataset = (cfg_values.get(loader) or {}).get('dataset')
        while isinstance(dataset, dict) and isinstance(dataset.get('dataset'), dict):
            dataset = dataset['dataset']
        if isinstance(dataset, dict) and isinstance(dataset.get('type'), str):
            return dataset['type']
    return None


def published_meta(checkpoint: dict) -> dict:
    """The ``meta`` of a published file: the checkpoint's ``meta`` as written by training
    (``cfg`` text, ``dataset_meta`` with the class names, ``train_class_counts``,
    ``epoch``, ``iter``, ``seed``, ...), every ``best_*`` entry of the message hub's
    runtime info (the best validation scores; ``meta`` wins on a clash) and
    ``dataset``, the training set's type read from ``cfg``."""
    runtime_info = (checkpoint.get('message_hub') or {}).get('runtime_info') or {}
    best = {key: value for key, value in runtime_info.items()
            if isinstance(key, str) and key.startswith(BEST_PREFIX)}
    meta = {**best, **checkpoint['meta']}
    meta['dataset'] = _dataset_type(config_values(meta['cfg']))
    return meta


def _torch_bytes(obj) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def _stem(out: PathLike) -> str:
    out = str(out)
    return out[:-len('.pth')] if out.endswith('.pth') else out


def publish_checkpoint(src: PathLike, out: PathLike) -> Path:
    """Write the model of a ``tools/train.py`` checkpoint as ``<out>-<sha256[:8]>.pth``.

    The file holds ``state_dict`` (the checkpoint's, unchanged: for a DeiT-LT student
    the student alone, the teacher never being in it) and ``meta``
    (:func:`published_meta`); it loads where the checkpoint did for evaluation
    (``tools/test.py``, ``tools/infer.py``, :func:`deitlt_mm.apis.init_model`). The
    same checkpoint always gives the same bytes, hence the same name. ``out`` may end
    in ``.pth``; the hash goes before it.

    Raises:
        FileWriteError: the folder of ``out`` cannot be written (checked first).
        CheckpointMismatchError: ``src`` is not a checkpoint of ``tools/train.py``.
        CheckpointNotFoundError, CheckpointError: as
            :func:`deitlt_mm.fileio.load_checkpoint_file`.

    Returns:
        Path: the published file.
    """
    check_writable(out, what='OUT')
    checkpoint = _training_checkpoint(src)
    data = _torch_bytes(dict(meta=published_meta(checkpoint),
                             state_dict=checkpoint['state_dict']))
    path = Path(f'{_stem(out)}-{hashlib.sha256(data).hexdigest()[:PUBLISHED_HASH_CHARS]}.pth')
    atomic_write(path, data)
    return path


def config_num_heads(checkpoint: dict) -> Optional[int]:
    """``num_heads`` of the student backbone in the checkpoint's ``meta.cfg`` (None if the
    checkpoint has no config or the config does not say)."""
    cfg_text = (checkpoint.get('meta') or {}).get('cfg')
    if not isinstance(cfg_text, str):
        return None
    arch = ((config_values(cfg_text).get('model') or {}).get('backbone') or {}).get('arch')
    if isinstance(arch, str):
        arch = DistilledVisionTransformer.arch_zoo.get(arch)
    return arch.get('num_heads') if isinstance(arch, dict) else None


def export_timm_checkpoint(src: PathLike, dst: PathLike,
                           num_heads: Optional[int] = None) -> dict:
    """Write the DeiT-LT student of ``src`` as a timm ``VisionTransformerDistilled`` state dict.

    ``src``: a checkpoint of ``tools/train.py``, a published file or a state dict in
    this project's keys. ``dst`` gets the plain state dict (``torch.save``), which
    ``timm.create_model(TIMM_DEIT_DISTILLED, **kwargs).load_state_dict`` loads
    strictly, ``kwargs`` being the returned arguments. The position embedding stays
    at the training resolution (``img_size``): timm resamples it for other sizes
    with its own interpolation, not the reference's that this project uses.

    Args:
        num_heads (int, optional): attention heads; by default those of the config
            stored in ``src`` (``meta.cfg``), the only size no weight shape tells.

    Raises:
        FileWriteError: the folder of ``dst`` cannot be written (checked first).
        CheckpointMismatchError: ``src`` holds no DeiT-LT student.
        ConfigValueError: ``num_heads`` is neither given nor in ``src``'s config.

    Returns:
        dict: ``timm.create_model`` arguments (``img_size``, ``patch_size``,
        ``in_chans``, ``embed_dim``, ``depth``, ``num_heads``, ``mlp_ratio``,
        ``num_classes``).
    """
    check_writable(dst, what='OUT')
    checkpoint = load_checkpoint_file(src)
    timm_state_dict = to_timm_deit_state_dict(extract_state_dict(checkpoint, src), str(src))
    num_heads = num_heads or config_num_heads(checkpoint)
    if num_heads is None:
        raise ConfigValueError(
            f'{src}: no training config (meta.cfg) to read the number of attention heads '
            'from; pass it with --num-heads (the arch num_heads of the model config).')
    kwargs = timm_deit_kwargs(timm_state_dict, num_heads)
    atomic_write(dst, _torch_bytes(timm_state_dict))
    return kwargs
