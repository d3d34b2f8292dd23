"""Singular-value spectra and effective rank of the CLS / DIST features (the paper's
low-rank analysis of students distilled from SAM-trained teachers).

Definitions (stated in the JSON too):

* Features: per test image, the CLS (and DIST) token. ``final``: the backbone's output,
  after the final LayerNorm (what the classifier sees); ``blocks``: the token after
  each transformer block (before that norm), for the paper's rank-vs-block view.
* Spectrum of a set of ``n`` feature vectors ``X [n, D]``: the singular values
  ``s_1 >= s_2 >= ... `` of ``X`` centred (the set's mean subtracted; without it the
  first value mostly measures the mean feature, which LayerNorm outputs share), of
  which there are ``min(n, D)``.
* Effective rank (Roy & Vetterli, 2007): ``exp(H(p))``, ``p_k = s_k / sum(s)``,
  ``H(p) = -sum p_k log p_k``: between 1 (one direction) and ``min(n, D)`` (all
  singular values equal); undefined (None) when every singular value is 0 (a set of
  one image).
"""
import math
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from ..apis.model import init_model, train_class_counts
from ..evaluation.results import GROUPS
from ..figures import label_groups, new_figure, save_figure, shade_groups
from ..fileio import check_writable, dump_json_atomic
from .attention_distance import vit_backbone
from .test_set import build_test_loader, class_groups, preprocessed_batches

DEFINITION = (
    'Singular values of the centred feature matrix [n images, D] of a token (each set '
    'minus its mean); effective rank = exp(entropy of the singular values normalised to '
    'sum 1) (Roy & Vetterli 2007), between 1 and min(n, D). final: the backbone output '
    '(after the final LayerNorm); blocks: the token after each block, all images.')
TOKEN_NAMES = ('cls', 'dist')
JSON_NAME = 'feature_rank.json'
PNG_NAME = 'feature_rank.png'
# Singular values below this fraction of the largest are rounding noise of a centred
# matrix (its rank is at most n - 1), not directions: they are reported as 0.
RELATIVE_TOLERANCE = 1e-10


def singular_values(features: torch.Tensor, centre: bool = True) -> torch.Tensor:
    """Singular values ``[min(n, D)]`` (float64, descending) of ``features [n, D]``,
    centred first unless ``centre`` is False."""
    matrix = features.double()
    if centre:
        matrix = matrix - matrix.mean(dim=0, keepdim=True)
    values = torch.linalg.svdvals(matrix)
    if values.numel() and values[0] > 0:
        values = torch.where(values < values[0] * RELATIVE_TOLERANCE, 0.0, values)
    return values


def effective_rank(values: torch.Tensor) -> Optional[float]:
    """Roy & Vetterli's effective rank ``exp(-sum p log p)``, ``p = values / sum``; None
    when the values sum to 0."""
    total = float(values.sum())
    if total <= 0:
        return None
    p = values.double() / total
    p = p[p > 0]
    return math.exp(float(-(p * p.log()).sum()))


def spectrum_entry(features: torch.Tensor, centre: bool = True) -> dict:
    """``{'num_images', 'effective_rank', 'singular_values'}`` of one set of features."""
    values = singular_values(features, centre)
    return dict(num_images=int(features.shape[0]), effective_rank=effective_rank(values),
                singular_values=[float(f'{v:.6g}') for v in values.tolist()])


def token_spectra(final: torch.Tensor, blocks: Sequence[torch.Tensor], labels: torch.Tensor,
                  groups: Sequence[str], class_names: Optional[Sequence[str]] = None,
                  centre: bool = True) -> dict:
    """Every spectrum of one token.

    Args:
        final (Tensor): ``[N, D]`` final features of the N images.
        blocks (Sequence[Tensor]): per block ``[N, D]``, the token after the block.
        labels (Tensor): ``[N]`` class of every image.
        groups (Sequence[str]): head / mid / tail of every class index.
        class_names (Sequence[str], optional): name of every class.

    Returns:
        dict: ``all`` (every image), ``groups`` (``head`` / ``mid`` / ``tail``: the images
        of the group's classes), ``classes`` (one entry per class with images, with its
        ``class`` index, ``name``, ``group``) and ``blocks`` (one entry per block, every
        image), each a :func:`spectrum_entry`.
    """
    groups_of_images = np.asarray(groups)[labels.numpy()]
    result = dict(all=spectrum_entry(final, centre), groups={}, classes=[], blocks=[])
    for group in GROUPS:
        mask = torch.from_numpy(groups_of_images == group)
        if mask.any():
            result['groups'][group] = spectrum_entry(final[mask], centre)
    for index in range(len(groups)):
        mask = labels == index
        if mask.any():
            entry = dict(spectrum_entry(final[mask], centre), group=groups[index])
            name = class_names[index] if class_names and index < len(class_names) else None
            result['classes'].append({'class': index, 'name': name, **entry})
    for index, features in enumerate(blocks):
        result['blocks'].append(dict(block=index, **spectrum_entry(features, centre)))
    return result


@torch.no_grad()
def collect_token_features(model, loader, name: str = 'model', progress: bool = True):
    """``(final {token: [N, D]}, blocks {token: [per block [N, D]]}, labels [N])`` of the
    CLS (and DIST) token over ``loader`` (float32, on the CPU)."""
    backbone = vit_backbone(model, name)
    extra = backbone.num_extra_tokens
    final, blocks, labels = [], [[] for _ in backbone.blocks], []
    for inputs, batch_labels in preprocessed_batches(model, loader, progress):
        tokens = backbone.embed(inputs)
        for index, block in enumerate(backbone.blocks):
            tokens = block(tokens)
            blocks[index].append(tokens[:, :extra].float().cpu())
        final.append(backbone.norm(tokens)[:, :extra].float().cpu())
        labels.append(batch_labels.cpu())
    final, blocks = torch.cat(final), [torch.cat(block) for block in blocks]
    names = TOKEN_NAMES[:extra]
    return ({token: final[:, i] for i, token in enumerate(names)},
            {token: [block[:, i] for block in blocks] for i, token in enumerate(names)},
            torch.cat(labels))


def plot_feature_rank(report: dict, path: str, title: Optional[str] = None) -> str:
    """Three panels: normalised spectra of the head / mid / tail groups (``s_k / s_1``, log
    scale; CLS solid, DIST dashed), effective rank per class (class groups shaded), and
    effective rank after each block (every image)."""
    fig, (spectra_ax, class_ax, block_ax) = new_figure((15, 4.5), ncols=3)
    styles = {'cls': '-', 'dist': '--'}
    group_lines = {'head': '#1f77b4', 'mid': '#ff7f0e', 'tail': '#d62728'}
    for token, spectra in report['tokens'].items():
        for group, entry in spectra['groups'].items():
            values = np.asarray(entry['singular_values'])
            if values.size and values[0] > 0:
                shown = values[values > 0] / values[0]
                spectra_ax.plot(np.arange(1, shown.size + 1), shown, styles[token],
                                color=group_lines[group],
                                label=f'{token.upper()} {group} '
                                f'(erank {entry["effective_rank"]:.1f})')
    spectra_ax.set_yscale('log')
    spectra_ax.set_xlabel('k')
    spectra_ax.set_ylabel('singular value s_k / s_1')
    spectra_ax.set_title('Spectra of the final features')
    spectra_ax.legend(fontsize='small')

    groups = report['class_groups']
    shade_groups(class_ax, groups)
    top = 0
    for token, spectra in report['tokens'].items():
        classes = [c['class'] for c in spectra['classes']]
        ranks = [np.nan if c['effective_rank'] is None else c['effective_rank']
                 for c in spectra['classes']]
        top = max([top] + [r for r in ranks if not np.isnan(r)])
        class_ax.plot(classes, ranks, styles[token], marker='.' if len(groups) <= 100 else None,
                      color='black', label=token.upper())
    top = top or 1.0
    label_groups(class_ax, groups, top * 1.05)
    class_ax.set_ylim(0, top * 1.15)
    class_ax.set_xlim(-0.5, len(groups) - 0.5)
    class_ax.set_xlabel('class index (by training frequency)')
    class_ax.set_ylabel('effective rank')
    class_ax.set_title('Per class, final features')
    class_ax.legend(loc='lower left')

    for token, spectra in report['tokens'].items():
        block_ax.plot([b['block'] for b in spectra['blocks']],
                      [b['effective_rank'] for b in spectra['blocks']], styles[token],
                      marker='o', color='black', label=token.upper())
    block_ax.set_xticks(sorted({b['block'] for spectra in report['tokens'].values()
                                for b in spectra['blocks']}))
    block_ax.set_xlabel('block')
    block_ax.set_ylabel('effective rank')
    block_ax.set_title(f'After each block, all {report["num_images"]} images')
    block_ax.set_ylim(bottom=0)
    block_ax.legend()
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def feature_rank_report(config: str, checkpoint: str, out_dir: str,
                        num_images: Optional[int] = None, centre: bool = True,
                        cfg_options: Optional[dict] = None, device: str = 'cpu',
                        title: Optional[str] = None, progress: bool = True) -> Dict[str, str]:
    """Collect the features of ``num_images`` test images (all by default), write
    ``feature_rank.json`` and ``feature_rank.png`` under ``out_dir``.

    Returns:
        dict: ``{'json': path, 'png': path}``.
    """
    paths = dict(json=osp.join(out_dir, JSON_NAME), png=osp.join(out_dir, PNG_NAME))
    for path in paths.values():
        check_writable(path, what='--out')
    model = init_model(config, checkpoint, device=device, cfg_options=cfg_options)
    vit_backbone(model, config)  # before the test set is read
    num_classes = int(model.head.num_classes)
    groups = class_groups(model._config, num_classes, train_class_counts(model))
    loader = build_test_loader(model._config, num_images)
    print(f'feature rank of {config}: {len(loader.dataset)} test images', flush=True)
    final, blocks, labels = collect_token_features(model, loader, config, progress)
    class_names = model._dataset_meta.get('classes')
    report = dict(definition=DEFINITION, centred=centre, config=config, checkpoint=checkpoint,
                  num_images=int(labels.numel()), class_groups=list(groups),
                  tokens={token: token_spectra(final[token], blocks[token], labels, groups,
                                               class_names, centre)
                          for token in final})
    dump_json_atomic(report, paths['json'])
    plot_feature_rank(report, paths['png'], title)
    return paths
