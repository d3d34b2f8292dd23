"""Mean attention distance per layer and head of a ViT (the DeiT-LT paper's locality plot).

For one image, layer and head with softmax attention ``A`` over tokens
``[CLS, (DIST,) patches]``, patch query ``i`` and patch key ``j`` at grid positions
``(r, c)``, the distance between them is the Euclidean distance of the patch centres
in pixels of the model input, ``patch * sqrt((r_i - r_j)^2 + (c_i - c_j)^2)``. The CLS
and DIST keys are left out and each query's weights over the patch keys renormalised
to sum to 1; the query's attention distance is ``sum_j A'_ij d_ij``. The mean
attention distance of the head is the average over all patch queries and all
analysed images (Dosovitskiy et al. 2021, fig. 7; Raghu et al. 2021).
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from ..apis.model import init_model
from ..errors import ConfigValueError
from ..figures import new_figure, save_figure
from ..fileio import check_writable, dump_json_atomic
from ..models.backbones.distilled_vit import DistilledVisionTransformer
from .test_set import build_test_loader, preprocessed_batches

DEFINITION = (
    'Per layer and head: the attention-weighted Euclidean distance (pixels of the model '
    'input, between patch centres) from each patch query to the patch keys, CLS / DIST '
    'keys left out and the weights over patch keys renormalised to 1, averaged over all '
    'patch queries and all analysed test images.')
JSON_NAME = 'attention_distance.json'
PNG_NAME = 'attention_distance.png'


def patch_distances(rows: int, cols: int, patch_size: int) -> torch.Tensor:
    """Pixel distance between the centres of every pair of patches, ``[N, N]``, N = rows x
    cols, patches numbered row by row (the order of the ViT's patch tokens)."""
    grid = torch.stack(torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing='ij'),
                       dim=-1).reshape(-1, 2).double()
    return torch.cdist(grid, grid) * patch_size


def mean_attention_distance(attention: torch.Tensor, distances: torch.Tensor,
                            num_extra_tokens: int) -> torch.Tensor:
    """Per image and head, the mean over patch queries of their attention distance.

    Args:
        attention (Tensor): softmax weights ``[B, heads, T, T]`` (rows: queries) over
            tokens ``[extra tokens, N patches]``.
        distances (Tensor): :func:`patch_distances` of the N patches, ``[N, N]``.
        num_extra_tokens (int): CLS (+ DIST) tokens before the patches.

    Returns:
        Tensor: ``[B, heads]`` float64, pixels.
    """
    patches = attention[..., num_extra_tokens:, num_extra_tokens:].double()
    if patches.shape[-2:] != distances.shape:
        raise ValueError(f'{tuple(patches.shape[-2:])} patch attention for a '
                         f'{tuple(distances.shape)} distance table')
    patches = patches / patches.sum(dim=-1, keepdim=True)
    return (patches * distances.to(patches.device)).sum(dim=-1).mean(dim=-1)


def vit_backbone(model, name: str) -> DistilledVisionTransformer:
    """The model's ViT backbone; any other backbone is a ``ConfigValueError`` naming it."""
    backbone = getattr(model, 'backbone', None)
    if not isinstance(backbone, DistilledVisionTransformer):
        raise ConfigValueError(
            f'{name}: the analysis needs a DistilledVisionTransformer backbone (DeiT-LT '
            f'student or its no-distillation baseline), got {type(backbone).__name__}.')
    return backbone


@torch.no_grad()
def model_attention_distance(model, loader, name: str = 'model', progress: bool = True
                             ) -> Tuple[np.ndarray, dict]:
    """Mean attention distance of every layer and head of ``model`` over ``loader``.

    Returns:
        tuple: ``(distances [layers, heads] in pixels, geometry)`` with ``geometry``
        the input size, patch size, patch grid and number of images.
    """
    backbone = vit_backbone(model, name)
    totals, num_images, geometry, table = None, 0, None, None
    for inputs, _ in preprocessed_batches(model, loader, progress):
        height, width = inputs.shape[-2:]
        size = (height, width)
        if geometry is None:
            rows, cols = height // backbone.patch_size, width // backbone.patch_size
            table = patch_distances(rows, cols, backbone.patch_size)
            geometry = dict(input_size=[int(height), int(width)],
                            patch_size=backbone.patch_size, grid=[rows, cols])
        elif size != tuple(geometry['input_size']):
            raise ValueError(f'{name}: test images of several sizes ({size} after '
                             f'{tuple(geometry["input_size"])}); the distances need one size.')
        per_layer = torch.stack([
            mean_attention_distance(maps, table, backbone.num_extra_tokens).sum(dim=0)
            for maps in backbone.iter_attention_maps(inputs)]).cpu()
        totals = per_layer if totals is None else totals + per_layer
        num_images += inputs.shape[0]
    if totals is None:
        raise ValueError(f'{name}: the test set has no images.')
    geometry['num_images'] = num_images
    return (totals / num_images).numpy(), geometry


def attention_distance_entry(distances: np.ndarray) -> List[dict]:
    """Per layer: ``{'layer', 'heads': [per-head pixels], 'mean': mean over heads}``."""
    return [dict(layer=index, heads=[float(v) for v in row], mean=float(row.mean()))
            for index, row in enumerate(distances)]


def plot_attention_distance(models: Dict[str, dict], path: str) -> str:
    """Distance vs layer, one series per model: the mean over heads (line) and every
    head (dots of the same colour). ``models``: ``{name: entry}`` as in the JSON."""
    fig, ax = new_figure((7, 4.5))
    for index, (name, entry) in enumerate(models.items()):
        colour = f'C{index}'
        layers = [layer['layer'] for layer in entry['layers']]
        ax.plot(layers, [layer['mean'] for layer in entry['layers']], marker='o',
                color=colour, label=f'{name} (mean of heads)')
        for layer in entry['layers']:
            ax.scatter([layer['layer']] * len(layer['heads']), layer['heads'], s=12,
                       color=colour, alpha=0.45, linewidths=0)
    ax.set_xlabel('layer (block)')
    ax.set_ylabel('mean attention distance (pixels)')
    ax.set_xticks(sorted({layer['layer'] for e in models.values() for layer in e['layers']}))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    first = next(iter(models.values()))
    ax.set_title(f'Attention distance, {first["num_images"]} test images, '
                 f'{first["input_size"][0]}x{first["input_size"][1]} px input, dots: heads')
    ax.legend(loc='lower right')
    return save_figure(fig, path)


def attention_distance_report(runs: Sequence[Tuple[str, str, str]], out_dir: str,
                              num_images: Optional[int] = 500,
                              cfg_options: Optional[dict] = None,
                              device: str = 'cpu', progress: bool = True) -> Dict[str, str]:
    """Measure every ``(name, config, checkpoint)`` run and write the JSON and the PNG.

    Returns:
        dict: ``{'json': path, 'png': path}`` under ``out_dir``.
    """
    paths = dict(json=osp.join(out_dir, JSON_NAME), png=osp.join(out_dir, PNG_NAME))
    for path in paths.values():
        check_writable(path, what='--out')
    models = {}
    for name, config, checkpoint in runs:
        model = init_model(config, checkpoint, device=device, cfg_options=cfg_options)
        vit_backbone(model, config)  # before the test set is read
        loader = build_test_loader(model._config, num_images)
        print(f'attention distance of {name}: {len(loader.dataset)} test images', flush=True)
        distances, geometry = model_attention_distance(model, loader, config, progress)
        models[name] = dict(config=config, checkpoint=checkpoint, **geometry,
                            layers=attention_distance_entry(distances))
    dump_json_atomic(dict(definition=DEFINITION, unit='pixels of the model input',
                          models=models), paths['json'])
    plot_attention_distance(models, paths['png'])
    return paths
