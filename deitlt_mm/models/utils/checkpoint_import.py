"""Import published DeiT-LT students and PaCo teachers into this project's models.

Files are read with ``torch.load(weights_only=True)``; only the few harmless
globals that published training scripts pickle next to the weights are allowed.
"""
import argparse
import os
import pathlib
import pickle
import tempfile
from collections import OrderedDict
from typing import Dict, Iterable, Union

import torch
import torch.nn as nn

PathLike = Union[str, pathlib.Path]

# argparse.Namespace: the `args` of DeiT-style checkpoints; paths appear inside it.
SAFE_CHECKPOINT_GLOBALS = [argparse.Namespace, pathlib.PosixPath, pathlib.WindowsPath]

# Top-level names of a timm-layout distilled ViT that belong to the backbone.
DEIT_BACKBONE_PREFIXES = ('cls_token', 'dist_token', 'pos_embed', 'patch_embed.', 'blocks.',
                          'norm.')
# timm head name -> DualHead submodule.
DEIT_HEAD_PREFIXES = {'head.': 'head.head.', 'head_dist.': 'head.head_dist.'}
# Parts of a PaCo (MoCo) wrapper that inference does not use.
PACO_DROPPED_PREFIXES = ('encoder_k.', 'linear_k.', 'queue', 'encoder_q.fc.')
# Parts of this project's PaCoClassifier that only training uses (key encoder, projection
# MLP, queue); the rest is an ImageClassifier's backbone / neck / head.
PACO_CLASSIFIER_TRAINING_PREFIXES = ('momentum_encoder.', 'projector.')
PACO_CLASSIFIER_TRAINING_BUFFERS = ('queue', 'queue_labels', 'queue_ptr')


def load_checkpoint_file(path: PathLike) -> dict:
    """Load a checkpoint with ``weights_only=True`` and the few allowed globals.

    Raises:
        FileNotFoundError: naming ``path`` when it does not exist.
        RuntimeError: naming ``path`` and the disallowed globals it needs.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'Checkpoint file not found: {path}')
    try:
        with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
            return torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as error:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        allowed = {f'{g.__module__}.{g.__qualname__}' for g in SAFE_CHECKPOINT_GLOBALS}
        raise RuntimeError(
            f'Refusing to load {path}: it needs pickled globals outside the allowed set '
            f'{sorted(allowed)}: {sorted(set(unsafe) - allowed)}.') from error


def extract_state_dict(checkpoint: dict,
                       path: PathLike = '<checkpoint>') -> Dict[str, torch.Tensor]:
    """The weights of a checkpoint: its ``model`` or ``state_dict`` entry, or itself."""
    if not isinstance(checkpoint, dict):
        raise TypeError(f'{path}: expected a dict checkpoint, got {type(checkpoint).__name__}.')
    for key in ('model', 'state_dict'):
        if key in checkpoint and isinstance(checkpoint[key], dict):
            return checkpoint[key]
    if all(isinstance(value, torch.Tensor) for value in checkpoint.values()):
        return checkpoint
    raise KeyError(f'{path}: no weights found; expected a `model` or `state_dict` entry, '
                   f'found keys {sorted(checkpoint)}.')


def _strip_prefix(state_dict: Dict[str, torch.Tensor], prefix: str) -> Dict[str, torch.Tensor]:
    if state_dict and all(key.startswith(prefix) for key in state_dict):
        return OrderedDict((key[len(prefix):], value) for key, value in state_dict.items())
    return state_dict


def _raise_unknown(keys: Iterable[str], what: str) -> None:
    keys = sorted(keys)
    if keys:
        raise KeyError(f'Unexpected keys for a {what}: {keys}.')


def convert_deit_student(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """timm-layout distilled ViT (published DeiT-LT student) -> ``DistillClassifier`` keys.

    ``cls_token, dist_token, pos_embed, patch_embed.*, blocks.*, norm.*`` ->
    ``backbone.*``; ``head.*`` -> ``head.head.*``; ``head_dist.*`` ->
    ``head.head_dist.*``. A ``module.`` prefix (DDP) is removed. Other keys raise.
    """
    state_dict = _strip_prefix(state_dict, 'module.')
    converted, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        head_prefix = next((p for p in DEIT_HEAD_PREFIXES if key.startswith(p)), None)
        if head_prefix is not None:
            converted[DEIT_HEAD_PREFIXES[head_prefix] + key[len(head_prefix):]] = value
        elif key.startswith(DEIT_BACKBONE_PREFIXES):
            converted['backbone.' + key] = value
        else:
            unknown.append(key)
    _raise_unknown(unknown, 'DeiT-LT student (timm VisionTransformerDistilled layout)')
    return converted


def convert_paco_teacher(state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """PaCo (MoCo wrapper) teacher -> ``ImageClassifier`` with ``LinearClsHead`` keys.

    After removing ``module.``: ``encoder_q.<name>`` -> ``backbone.<name>`` (the
    torchvision-layout ResNet names match ``ResNetCifarOptionA`` and mmpretrain's
    ``ResNet``), ``linear.*`` -> ``head.fc.*``. The MLP projection
    ``encoder_q.fc.*``, ``encoder_k.*``, ``linear_k.*`` and the queues are dropped.
    Other keys raise.
    """
    state_dict = _strip_prefix(state_dict, 'module.')
    converted, unknown = OrderedDict(), []
    for key, value in state_dict.items():
        if key.startswith(PACO_DROPPED_PREFIXES):
            continue
        if key.startswith('encoder_q.'):
            converted['backbone.' + key[len('encoder_q.'):]] = value
        elif key.startswith('linear.'):
            converted['head.fc.' + key[len('linear.'):]] = value
        else:
            unknown.append(key)
    _raise_unknown(unknown, 'PaCo teacher (module.encoder_q / linear layout)')
    if not any(key.startswith('backbone.') for key in converted):
        raise KeyError('No `encoder_q.*` weights found: not a PaCo teacher state dict.')
    return converted


def strip_paco_training_state(
        state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A ``PaCoClassifier`` state dict without its training-only parts.

    Drops ``momentum_encoder.*``, ``projector.*``, ``queue``, ``queue_labels`` and
    ``queue_ptr``; what remains (``backbone.*``, ``neck.*``, ``head.*``) are the
    keys of the ``ImageClassifier`` with the same backbone, neck and head.
    """
    return OrderedDict((key, value) for key, value in state_dict.items()
                       if not key.startswith(PACO_CLASSIFIER_TRAINING_PREFIXES)
                       and key not in PACO_CLASSIFIER_TRAINING_BUFFERS)


def _classifier_weight_key(state_dict: Dict[str, torch.Tensor]) -> str:
    for key in ('head.fc.weight', 'head.head.weight'):
        if key in state_dict:
            return key
    return ''


def load_converted_state_dict(model: nn.Module, state_dict: Dict[str, torch.Tensor],
                              source: str) -> None:
    """Strictly load converted weights; errors name ``source`` and what differs."""
    own = model.state_dict()
    weight_key = _classifier_weight_key(state_dict)
    if weight_key and weight_key in own and state_dict[weight_key].shape[0] != own[
            weight_key].shape[0]:
        raise ValueError(f'{source}: class count mismatch, the model expects '
                         f'{own[weight_key].shape[0]} classes, the checkpoint has '
                         f'{state_dict[weight_key].shape[0]} ({weight_key}).')
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    if missing or unexpected:
        raise KeyError(f'{source}: keys do not match the model; missing {missing}, '
                       f'unexpected {unexpected}.')
    wrong_shapes = [f'{key}: model {tuple(own[key].shape)} vs checkpoint '
                    f'{tuple(value.shape)}' for key, value in state_dict.items()
                    if own[key].shape != value.shape]
    if wrong_shapes:
        raise ValueError(f'{source}: shape mismatch: {wrong_shapes}.')
    model.load_state_dict(state_dict, strict=True)


def load_teacher_checkpoint(model: nn.Module, path: PathLike) -> None:
    """Load teacher weights from ``path`` into ``model``, whatever the layout.

    A published PaCo file (keys with ``encoder_q.``) is converted with
    :func:`convert_paco_teacher`; a checkpoint of this project's ``PaCoClassifier``
    (keys ``momentum_encoder.*``) loses its training-only parts
    (:func:`strip_paco_training_state`) unless ``model`` has them too; any other
    file must hold the model's own keys (an mmengine checkpoint's ``state_dict``
    or a plain state dict).
    """
    state_dict = extract_state_dict(load_checkpoint_file(path), path)
    if any('encoder_q.' in key for key in state_dict):
        state_dict = convert_paco_teacher(state_dict)
    elif (any(key.startswith('momentum_encoder.') for key in state_dict)
          and not hasattr(model, 'momentum_encoder')):
        state_dict = strip_paco_training_state(state_dict)
    load_converted_state_dict(model, state_dict, str(path))


def load_deit_student_checkpoint(model: nn.Module, path: PathLike) -> None:
    """Load a published DeiT-LT student file (``{'model': timm state dict}``) into ``model``."""
    state_dict = extract_state_dict(load_checkpoint_file(path), path)
    load_converted_state_dict(model, convert_deit_student(state_dict), str(path))


def save_state_dict_atomically(state_dict: Dict[str, torch.Tensor], path: PathLike) -> None:
    """Write ``{'state_dict': state_dict}`` to ``path`` without ever leaving a partial file.

    The file is written to a temporary file in the same directory and renamed with
    ``os.replace`` (atomic on one filesystem), so readers see the old or the new file.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f'.{path.name}.', suffix='.tmp', dir=path.parent)
    try:
        with os.fdopen(handle, 'wb') as tmp_file:
            torch.save({'state_dict': state_dict}, tmp_file)
        os.replace(tmp_name, path)
    except BaseException:
        os.unlink(tmp_name)
        raise
