"""Import published DeiT-LT students and PaCo teachers into this project's models.

Files are read with :func:`deitlt_mm.fileio.load_checkpoint_file`
(``torch.load(weights_only=True)``; only the few harmless globals that published
training scripts pickle next to the weights are allowed).
"""
import io
import pathlib
from collections import OrderedDict
from typing import Dict, Iterable, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from ...errors import CheckpointMismatchError, NumClassesError
from ...fileio import atomic_write, load_checkpoint_file

PathLike = Union[str, pathlib.Path]

# Top-level names of a timm-layout distilled ViT that belong to the backbone.
DEIT_BACKBONE_PREFIXES = ('cls_token', 'dist_token', 'pos_embed', 'patch_embed.', 'blocks.',
                          'norm.')
# timm head name -> DualHead submodule.
DEIT_HEAD_PREFIXES = {'head.': 'head.head.', 'head_dist.': 'head.head_dist.'}
# Parts of a PaCo (MoCo) wrapper that inference does not use.
PACO_DROPPED_PREFIXES = ('encoder_k.', 'linear_k.', 'queue', 'encoder_q.fc.')
# Key names shown in a mismatch message (one line); the rest are counted.
SHOWN_KEYS = 8
# Parts of this project's PaCoClassifier that only training uses (key encoder, projection
# MLP, queue); the rest is an ImageClassifier's backbone / neck / head.
PACO_CLASSIFIER_TRAINING_PREFIXES = ('momentum_encoder.', 'projector.')
PACO_CLASSIFIER_TRAINING_BUFFERS = ('queue', 'queue_labels', 'queue_ptr')



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
    raise CheckpointMismatchError(f'{path}: no weights found; expected a `model` or '
                                  f'`state_dict` entry, found keys {sorted(checkpoint)}.')


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


def _key_list(keys: Iterable[str]) -> str:
    keys = sorted(keys)
    shown = repr(keys[:SHOWN_KEYS])
    return shown if len(keys) <= SHOWN_KEYS else f'{shown[:-1]}, ... {len(keys)} in all]'


def load_converted_state_dict(model: nn.Module, state_dict: Dict[str, torch.Tensor],
                              source: str) -> None:
    """Strictly load converted weights; errors name ``source`` and what differs.

    Raises:
        CheckpointMismatchError: (a ``KeyError`` and ``ValueError``) on a different
            class count, missing or unexpected keys, or different shapes.
    """
    own = model.state_dict()
    weight_key = _classifier_weight_key(state_dict)
    if weight_key and weight_key in own and state_dict[weight_key].shape[0] != own[
            weight_key].shape[0]:
        raise CheckpointMismatchError(
            f'{source}: class count mismatch, the model expects {own[weight_key].shape[0]} '
            f'classes, the checkpoint has {state_dict[weight_key].shape[0]} ({weight_key}).')
    missing = set(own) - set(state_dict)
    unexpected = set(state_dict) - set(own)
    if missing or unexpected:
        raise CheckpointMismatchError(
            f'{source}: keys do not match the model; missing {_key_list(missing)}, '
            f'unexpected {_key_list(unexpected)}.')
    wrong_shapes = [f'{key}: model {tuple(own[key].shape)} vs checkpoint '
                    f'{tuple(value.shape)}' for key, value in state_dict.items()
                    if own[key].shape != value.shape]
    if wrong_shapes:
        shown = '; '.join(wrong_shapes[:SHOWN_KEYS])
        more = f'; ... {len(wrong_shapes)} in all' if len(wrong_shapes) > SHOWN_KEYS else ''
        raise CheckpointMismatchError(f'{source}: shape mismatch: {shown}{more}.')
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


def classifier_layer(model: nn.Module) -> nn.Linear:
    """The last linear layer (class logits) of a teacher classifier.

    Supported: an ``ImageClassifier`` with a ``LinearClsHead`` (``head.fc``: the
    ResNet32 / ResNet50 / PaCo teachers) and a ``TimmClassifier``
    (``model.get_classifier()``).

    Raises:
        TypeError: naming the model's type when neither layout is found.
    """
    fc = getattr(getattr(model, 'head', None), 'fc', None)
    if isinstance(fc, nn.Linear):
        return fc
    timm_model = getattr(model, 'model', None)
    if hasattr(timm_model, 'get_classifier') and isinstance(timm_model.get_classifier(),
                                                            nn.Linear):
        return timm_model.get_classifier()
    raise TypeError(f'Cannot find the classifier layer of a {type(model).__name__} teacher: '
                    'expected an ImageClassifier with a LinearClsHead (head.fc) or a '
                    'TimmClassifier whose get_classifier() is an nn.Linear.')


@torch.no_grad()
def permute_classifier_rows(model: nn.Module, order: Sequence[int],
                            source: str = 'class order') -> None:
    """Re-index a classifier's outputs in place: new logit ``n`` = old logit ``order[n]``.

    With ``order[new] = original`` (:func:`deitlt_mm.datasets.class_map.class_order`),
    a teacher trained on original labels then predicts in the frequency order:
    its logits become ``logits_original[:, order]`` and its argmax becomes
    ``class_map[argmax_original]``, for every later forward, at no cost per batch.

    Args:
        model (nn.Module): see :func:`classifier_layer`.
        order (Sequence[int]): a permutation of ``0 .. C-1``, ``C`` the classifier's
            outputs.
        source (str): named in errors (e.g. the class map file).

    Raises:
        ValueError: ``order`` is not a permutation of the classifier's ``C`` classes.
    """
    layer = classifier_layer(model)
    order = torch.as_tensor(np.asarray(order), dtype=torch.long)
    num_classes = layer.out_features
    if order.dim() != 1 or sorted(order.tolist()) != list(range(num_classes)):
        raise NumClassesError(f'{source}: {order.numel()} classes, but the teacher predicts '
                              f'{num_classes} (its classifier has {num_classes} rows); the '
                              f'map must be a permutation of 0..{num_classes - 1}.')
    order = order.to(layer.weight.device)
    layer.weight.copy_(layer.weight[order])
    if layer.bias is not None:
        layer.bias.copy_(layer.bias[order])


def load_deit_student_checkpoint(model: nn.Module, path: PathLike) -> None:
    """Load a published DeiT-LT student file (``{'model': timm state dict}``) into ``model``."""
    state_dict = extract_state_dict(load_checkpoint_file(path), path)
    load_converted_state_dict(model, convert_deit_student(state_dict), str(path))


def is_reference_student(state_dict: Dict[str, torch.Tensor]) -> bool:
    """Whether ``state_dict`` is a distilled ViT in timm's layout, as the reference's
    ``main.py`` saves students (``dist_token`` and ``head_dist.*`` at the top level,
    possibly under ``module.``), rather than this project's ``backbone.*`` / ``head.*``."""
    keys = _strip_prefix(state_dict, 'module.')
    return 'dist_token' in keys and 'head_dist.weight' in keys


def load_model_checkpoint(model: nn.Module, path: PathLike) -> dict:
    """Load a checkpoint of ``model`` itself (mmengine's or a state dict), strictly.

    For evaluation: every key of the model must be in the file with the same shape,
    and nothing else (a ``module.`` prefix is removed); a model wrapper is looked
    through. A student file of the reference code as published (``{'model': timm
    VisionTransformerDistilled state dict, 'optimizer', 'args', ...}``,
    :func:`is_reference_student`) is converted on the fly with
    :func:`convert_deit_student`, so it scores exactly as its
    ``tools/convert/deitlt_student.py`` output. ``path`` may be an ``http(s)://``
    address (:func:`deitlt_mm.fileio.download_checkpoint`). Errors name ``path`` and
    list what differs.

    Returns:
        dict: the whole checkpoint as read (its ``meta`` included), for the runner's
        ``after_load_checkpoint`` hooks.
    """
    model = model.module if is_model_wrapper(model) else model
    checkpoint = load_checkpoint_file(path)
    state_dict = _strip_prefix(extract_state_dict(checkpoint, path), 'module.')
    if is_reference_student(state_dict):
        state_dict = convert_deit_student(state_dict)
        print_log(f'{path}: a DeiT-LT student as the reference code saves it (timm '
                  'layout), converted to this project\'s keys while loading', logger='current')
    load_converted_state_dict(model, state_dict, str(path))
    return checkpoint


def save_state_dict_atomically(state_dict: Dict[str, torch.Tensor], path: PathLike) -> None:
    """Write ``{'state_dict': state_dict}`` to ``path`` with :func:`deitlt_mm.fileio.atomic_write`.

    Readers see the old or the new file, never a partial one.
    """
    buffer = io.BytesIO()
    torch.save({'state_dict': state_dict}, buffer)
    atomic_write(path, buffer.getvalue())
