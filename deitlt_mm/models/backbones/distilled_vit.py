"""Distilled Vision Transformer (DeiT with a distillation token) as the DeiT-LT student.

Built from timm's ViT parts (``PatchEmbed``, ``Block`` with its fused attention and
drop path) in timm's key layout, so published DeiT / DeiT-LT weights load as they
are; this file adds DeiT-LT's tokens, its initialisation and the reference's
position-embedding resampling. docs/vit_backbone.md has the measurements behind it.
"""
import math
from functools import partial
from typing import Iterator, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from timm.layers import PatchEmbed
from timm.models.vision_transformer import Attention, Block

from ...registry import MODELS

LAYER_NORM_EPS = 1e-6


def attention_weights(attn: Attention, tokens: torch.Tensor) -> torch.Tensor:
    """Softmax attention of a timm ``Attention`` on its input, ``[B, heads, T, T]``.

    The fused kernel (``F.scaled_dot_product_attention``) applies these weights
    without returning them; this recomputes them from the module's own ``qkv``
    projection: ``softmax(q k^T * d_head ** -0.5)``. ``tokens`` is the attention
    input ``[B, T, D]``, i.e. ``block.norm1(x)`` for block input ``x``.
    """
    batch, length, _ = tokens.shape
    qkv = attn.qkv(tokens).reshape(batch, length, 3, attn.num_heads, attn.head_dim)
    query, key, _ = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    query, key = attn.q_norm(query), attn.k_norm(key)
    return (query * attn.scale @ key.transpose(-2, -1)).softmax(dim=-1)


# mmpretrain has a class of the same name (whose head cannot train the DIST token); ours
# lives in the deitlt_mm scope only, so mmpretrain's configs keep building theirs.
@MODELS.register_module()
class DistilledVisionTransformer(BaseModule):
    """ViT with a CLS and a DIST token (DeiT distilled), the DeiT-LT student backbone.

    Tokens are ``[CLS, DIST, patches]`` with a learned ``pos_embed`` of shape
    ``[1, N + 2, D]`` (``N`` = patches at ``img_size``). Blocks are timm's pre-norm
    ``Block``: LayerNorm eps 1e-6, qkv bias, softmax attention scaled by
    ``1/sqrt(d_head)`` (fused, ``F.scaled_dot_product_attention``), GELU MLP, drop
    path that scales its ``[B, 1, 1]`` mask; then a final LayerNorm. Parameter names
    are those of timm's ``VisionTransformerDistilled`` without the heads.

    With ``with_dist_token=False`` the same backbone has the CLS token only
    (``pos_embed`` ``[1, N + 1, D]``): the DeiT baseline without distillation.

    At an input resolution other than ``img_size`` the patch rows of ``pos_embed``
    are resampled exactly as the DeiT-LT reference (DINO-style), see
    :meth:`resample_pos_embed`. :meth:`attention_maps` (:meth:`iter_attention_maps`)
    recomputes the attention weights of every block and head (which the fused kernel
    does not return).

    Args:
        arch (str | dict): ``'deit-tiny'``, ``'deit-small'``, ``'deit-base'`` or a dict
            with ``embed_dims``, ``num_layers``, ``num_heads`` and optional ``mlp_ratio``.
        img_size (int): training resolution (square). Defaults to 224.
        patch_size (int): patch side. Defaults to 16.
        in_channels (int): image channels. Defaults to 3.
        drop_path_rate (float): stochastic depth of the last block (linear ramp from 0).
        with_dist_token (bool): add the DIST token. Defaults to True.
        init_cfg (dict, optional): mmengine init config, e.g. ``Pretrained``.

    Forward: ``images [B, C, H, W]`` -> ``(cls_feat [B, D], dist_feat [B, D])``, the
    final-norm outputs of the CLS and DIST tokens (``(cls_feat,)`` without DIST
    token, which mmpretrain's ``LinearClsHead`` takes as is).
    """

    arch_zoo = {
        'deit-tiny': dict(embed_dims=192, num_layers=12, num_heads=3, mlp_ratio=4.0),
        'deit-small': dict(embed_dims=384, num_layers=12, num_heads=6, mlp_ratio=4.0),
        'deit-base': dict(embed_dims=768, num_layers=12, num_heads=12, mlp_ratio=4.0),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'deit-base',
                 img_size: int = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 drop_path_rate: float = 0.0,
                 with_dist_token: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        arch_settings = self._parse_arch(arch)
        if img_size % patch_size:
            raise ValueError(f'img_size ({img_size}) must be a multiple of patch_size '
                             f'({patch_size}).')
        self.embed_dims = arch_settings['embed_dims']
        self.img_size = img_size
        self.patch_size = patch_size
        self.num_patches = (img_size // patch_size) ** 2
        self.num_extra_tokens = 2 if with_dist_token else 1

        # img_size=None: no input-size checks; the convolution floors other sizes.
        self.patch_embed = PatchEmbed(img_size=None, patch_size=patch_size,
                                      in_chans=in_channels, embed_dim=self.embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims)) \
            if with_dist_token else None
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.num_patches + self.num_extra_tokens, self.embed_dims))
        num_layers = arch_settings['num_layers']
        drop_path_rates = torch.linspace(0, drop_path_rate, num_layers).tolist()
        self.blocks = nn.Sequential(*[
            Block(self.embed_dims, arch_settings['num_heads'],
                  mlp_ratio=arch_settings['mlp_ratio'], qkv_bias=True, drop_path=rate,
                  norm_layer=partial(nn.LayerNorm, eps=LAYER_NORM_EPS))
            for rate in drop_path_rates
        ])
        self.norm = nn.LayerNorm(self.embed_dims, eps=LAYER_NORM_EPS)
        self._init_deit_weights()

    def _parse_arch(self, arch: Union[str, dict]) -> dict:
        if isinstance(arch, str):
            if arch not in self.arch_zoo:
                raise ValueError(f'Unknown arch {arch!r}; expected one of '
                                 f'{sorted(self.arch_zoo)} or a dict.')
            return dict(self.arch_zoo[arch])
        required = {'embed_dims', 'num_layers', 'num_heads'}
        missing = required - set(arch)
        if missing:
            raise ValueError(f'Custom arch dict is missing {sorted(missing)}; expected keys '
                             f'{sorted(required)} (+ optional mlp_ratio).')
        unknown = set(arch) - required - {'mlp_ratio'}
        if unknown:
            raise ValueError(f'Custom arch dict has unknown keys {sorted(unknown)}; expected '
                             f'{sorted(required)} (+ optional mlp_ratio).')
        return {'mlp_ratio': 4.0, **arch}

    def _init_deit_weights(self) -> None:
        # The reference's init (its timm VisionTransformer.init_weights + DeiT's distilled
        # subclass): CLS token normal with std 1e-6, DIST token and position embedding
        # truncated normal (std .02), linears truncated normal (std .02) with zero biases;
        # LayerNorm keeps (1, 0) and the patch convolution PyTorch's default.
        nn.init.normal_(self.cls_token, std=1e-6)
        if self.dist_token is not None:
            nn.init.trunc_normal_(self.dist_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def resample_pos_embed(self, height: int, width: int) -> torch.Tensor:
        """Position embedding for a ``height x width`` input, ``[1, n + extra, D]``.

        The reference formula (DINO-style), with ``N`` patches at ``img_size``:
        ``h0 = height // patch + 0.1``, ``w0 = width // patch + 0.1``, and the patch
        rows, viewed as a ``[1, D, sqrt(N), sqrt(N)]`` grid, go through
        ``F.interpolate(grid, scale_factor=(h0 / sqrt(N), w0 / sqrt(N)), mode='bicubic')``
        (the patch convolution floors sizes that are not multiples of the patch).
        The reference names the input's dim 2 ``w`` and dim 3 ``h`` and scales grid
        dim 2 by its ``w`` (= our ``height``): the first scale factor follows the
        image rows. The explicit ``scale_factor`` (not a target size) is what makes
        the numbers match the reference. CLS and DIST rows are untouched (the
        reference's CLS-only ViT resamples its patch rows with the same formula).
        """
        grid_side = math.isqrt(self.num_patches)
        rows, cols = height // self.patch_size, width // self.patch_size
        # The reference keeps the table for a square input with the training patch count.
        if rows * cols == self.num_patches and height == width:
            return self.pos_embed
        extra = self.pos_embed[:, :self.num_extra_tokens]
        patch_pos = self.pos_embed[:, self.num_extra_tokens:]
        grid = patch_pos.reshape(1, grid_side, grid_side, self.embed_dims).permute(0, 3, 1, 2)
        rows_scale, cols_scale = rows + 0.1, cols + 0.1
        grid = F.interpolate(grid, scale_factor=(rows_scale / grid_side, cols_scale / grid_side),
                             mode='bicubic')
        if grid.shape[-2:] != (rows, cols):
            raise RuntimeError(f'Resampled pos_embed grid {tuple(grid.shape[-2:])} does not '
                               f'match the {rows}x{cols} patch grid.')
        patch_pos = grid.permute(0, 2, 3, 1).reshape(1, rows * cols, self.embed_dims)
        return torch.cat([extra, patch_pos], dim=1)

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """Input tokens of the first block: ``[B, extra + n, D]`` (patches + tokens + pos)."""
        height, width = images.shape[-2:]
        patches = self.patch_embed(images)
        extra = [self.cls_token, self.dist_token][:self.num_extra_tokens]
        tokens = torch.cat([token.expand(patches.size(0), -1, -1) for token in extra] +
                           [patches], dim=1)
        return tokens + self.resample_pos_embed(height, width)

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        tokens = self.norm(self.blocks(self.embed(images)))
        return tuple(tokens[:, index] for index in range(self.num_extra_tokens))

    @torch.no_grad()
    def iter_attention_maps(self, images: torch.Tensor) -> Iterator[torch.Tensor]:
        """Attention weights of each block in turn, ``[B, heads, T, T]`` per block.

        Runs the forward pass and, before each block, recomputes that block's softmax
        attention from its attention input (:func:`attention_weights`); rows and
        columns are tokens ``[CLS, (DIST,) patches]``. One block's maps at a time, so a
        caller that reduces them (attention distance) never holds all layers. Use in
        eval mode (drop path off) for the attention of the model as it predicts.
        """
        tokens = self.embed(images)
        for block in self.blocks:
            yield attention_weights(block.attn, block.norm1(tokens))
            tokens = block(tokens)

    def attention_maps(self, images: torch.Tensor) -> List[torch.Tensor]:
        """Attention weights of every block, per head: ``num_layers`` x ``[B, heads, T, T]``
        (:meth:`iter_attention_maps` collected)."""
        return list(self.iter_attention_maps(images))
