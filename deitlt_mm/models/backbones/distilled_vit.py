"""Distilled Vision Transformer (DeiT with a distillation token) as the DeiT-LT student."""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule

from ...registry import MODELS

LAYER_NORM_EPS = 1e-6


class PatchEmbed(nn.Module):
    """Non-overlapping patches -> tokens: ``[B, 3, H, W]`` -> ``[B, H/p * W/p, D]``."""

    def __init__(self, patch_size: int, in_channels: int, embed_dims: int):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size=patch_size,
                              stride=patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # [B, D, H/p, W/p] -> [B, H/p * W/p, D], row-major over the patch grid.
        return self.proj(images).flatten(2).transpose(1, 2)


class MultiHeadSelfAttention(nn.Module):
    """Softmax attention with one fused qkv projection; ``[B, T, D]`` -> ``[B, T, D]``."""

    def __init__(self, embed_dims: int, num_heads: int):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims ({embed_dims}) must be divisible by num_heads '
                             f'({num_heads}).')
        self.num_heads = num_heads
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=True)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        batch, length, dims = tokens.shape
        head_dims = dims // self.num_heads
        # [B, T, 3D] -> 3 x [B, heads, T, D/heads]
        qkv = self.qkv(tokens).reshape(batch, length, 3, self.num_heads, head_dims)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        # Default scale of SDPA is 1/sqrt(head_dims), the ViT scale.
        attended = F.scaled_dot_product_attention(query, key, value)
        return self.proj(attended.transpose(1, 2).reshape(batch, length, dims))


class FeedForward(nn.Module):
    """Two linears with GELU between: ``[B, T, D]`` -> ``[B, T, D]``."""

    def __init__(self, embed_dims: int, hidden_dims: int):
        super().__init__()
        self.fc1 = nn.Linear(embed_dims, hidden_dims)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dims, embed_dims)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(tokens)))


class TransformerBlock(nn.Module):
    """Pre-norm block: ``x + attn(norm1(x))`` then ``x + mlp(norm2(x))``, with drop path."""

    def __init__(self, embed_dims: int, num_heads: int, mlp_ratio: float,
                 drop_path_rate: float):
        super().__init__()
        self.norm1 = nn.LayerNorm(embed_dims, eps=LAYER_NORM_EPS)
        self.attn = MultiHeadSelfAttention(embed_dims, num_heads)
        self.norm2 = nn.LayerNorm(embed_dims, eps=LAYER_NORM_EPS)
        self.mlp = FeedForward(embed_dims, int(embed_dims * mlp_ratio))
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        tokens = tokens + self.drop_path(self.attn(self.norm1(tokens)))
        return tokens + self.drop_path(self.mlp(self.norm2(tokens)))


# mmpretrain has a class of the same name (whose head cannot train the DIST token); ours
# lives in the deitlt_mm scope only, so mmpretrain's configs keep building theirs.
@MODELS.register_module()
class DistilledVisionTransformer(BaseModule):
    """ViT with a CLS and a DIST token (DeiT distilled), the DeiT-LT student backbone.

    Tokens are ``[CLS, DIST, patches]`` with a learned ``pos_embed`` of shape
    ``[1, N + 2, D]`` (``N`` = patches at ``img_size``). Blocks are pre-norm with
    LayerNorm eps 1e-6, qkv bias, softmax attention scaled by ``1/sqrt(d_head)``
    (``F.scaled_dot_product_attention``), GELU MLP, and a final LayerNorm.

    At an input resolution other than ``img_size`` the patch rows of ``pos_embed``
    are resampled exactly as the DeiT-LT reference (DINO-style), see
    :meth:`resample_pos_embed`.

    Args:
        arch (str | dict): ``'deit-tiny'``, ``'deit-small'``, ``'deit-base'`` or a dict
            with ``embed_dims``, ``num_layers``, ``num_heads`` and optional ``mlp_ratio``.
        img_size (int): training resolution (square). Defaults to 224.
        patch_size (int): patch side. Defaults to 16.
        in_channels (int): image channels. Defaults to 3.
        drop_path_rate (float): stochastic depth of the last block (linear ramp from 0).
        init_cfg (dict, optional): mmengine init config, e.g. ``Pretrained``.

    Forward: ``images [B, C, H, W]`` -> ``(cls_feat [B, D], dist_feat [B, D])``, the
    final-norm outputs of the CLS and DIST tokens.
    """

    arch_zoo = {
        'deit-tiny': dict(embed_dims=192, num_layers=12, num_heads=3, mlp_ratio=4.0),
        'deit-small': dict(embed_dims=384, num_layers=12, num_heads=6, mlp_ratio=4.0),
        'deit-base': dict(embed_dims=768, num_layers=12, num_heads=12, mlp_ratio=4.0),
    }
    num_extra_tokens = 2

    def __init__(self,
                 arch: Union[str, dict] = 'deit-base',
                 img_size: int = 224,
                 patch_size: int = 16,
                 in_channels: int = 3,
                 drop_path_rate: float = 0.0,
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

        self.patch_embed = PatchEmbed(patch_size, in_channels, self.embed_dims)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.num_patches + self.num_extra_tokens, self.embed_dims))
        num_layers = arch_settings['num_layers']
        drop_path_rates = torch.linspace(0, drop_path_rate, num_layers).tolist()
        self.blocks = nn.ModuleList([
            TransformerBlock(self.embed_dims, arch_settings['num_heads'],
                             arch_settings['mlp_ratio'], rate) for rate in drop_path_rates
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
        # DeiT init: truncated normal (std .02) for tokens, position embedding and
        # linears, zero biases; LayerNorm keeps (1, 0).
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.dist_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=0.02)
                nn.init.zeros_(module.bias)

    def resample_pos_embed(self, height: int, width: int) -> torch.Tensor:
        """Position embedding for a ``height x width`` input, ``[1, n + 2, D]``.

        The reference formula (DINO-style), with ``N`` patches at ``img_size``:
        ``h0 = height // patch + 0.1``, ``w0 = width // patch + 0.1``, and the patch
        rows, viewed as a ``[1, D, sqrt(N), sqrt(N)]`` grid, go through
        ``F.interpolate(grid, scale_factor=(h0 / sqrt(N), w0 / sqrt(N)), mode='bicubic')``
        (the patch convolution floors sizes that are not multiples of the patch).
        The reference names the input's dim 2 ``w`` and dim 3 ``h`` and scales grid
        dim 2 by its ``w`` (= our ``height``): the first scale factor follows the
        image rows. The explicit ``scale_factor`` (not a target size) is what makes
        the numbers match the reference. CLS and DIST rows are untouched.
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

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        height, width = images.shape[-2:]
        patches = self.patch_embed(images)
        batch = patches.size(0)
        tokens = torch.cat([
            self.cls_token.expand(batch, -1, -1),
            self.dist_token.expand(batch, -1, -1),
            patches,
        ], dim=1)
        tokens = tokens + self.resample_pos_embed(height, width)
        for block in self.blocks:
            tokens = block(tokens)
        tokens = self.norm(tokens)
        return tokens[:, 0], tokens[:, 1]
