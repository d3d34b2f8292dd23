"""ResNet for 32 px CIFAR images with "option A" shortcuts (He et al. 2016, Sec. 4.2)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from ...registry import MODELS


class BasicBlockOptionA(nn.Module):
    """Two 3x3 conv-BN layers with a parameter-free shortcut.

    When the block changes resolution or width, the shortcut takes every second
    pixel (``x[:, :, ::2, ::2]``) and zero-pads the channels equally on both sides,
    so the block has no projection weights (the layout of the CIFAR teachers).
    ``[B, in, H, W]`` -> ``[B, out, H / stride, W / stride]``.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.subsample = stride != 1
        self.channel_pad = out_channels - in_channels
        if self.channel_pad % 2:
            raise ValueError(f'Option-A shortcut pads channels symmetrically: '
                             f'{in_channels} -> {out_channels} is not an even increase.')

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.subsample:
            x = x[:, :, ::2, ::2]
        if self.channel_pad:
            half = self.channel_pad // 2
            x = F.pad(x, (0, 0, 0, 0, half, half))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


@MODELS.register_module()
class ResNetCifarOptionA(BaseModule):
    """CIFAR ResNet-(6n+2) with option-A shortcuts: ResNet20/32/44/56 (32 = DeiT-LT teacher).

    A 3x3 stem (16 channels, BN, ReLU) and three stages of ``n = (depth - 2) / 6``
    basic blocks with ``base_channels * (1, 2, 4)`` channels (16/32/64), the last
    two stages starting with stride 2. Convs and linears use kaiming-normal init.
    Module names follow the torchvision / PaCo layout (``conv1``, ``bn1``,
    ``layer{1,2,3}.{j}.conv{1,2}/bn{1,2}``) so published teachers load by name.

    Args:
        depth (int): ``6n + 2``, e.g. 20, 32, 44, 56. Defaults to 32.
        in_channels (int): image channels. Defaults to 3.
        base_channels (int): width of the first stage. Defaults to 16.
        channels_last (bool): keep weights and activations in channels-last
            memory order. Same results up to float rounding; on CPU (oneDNN) a
            ResNet32 train step at 32 px, batch 128, is 1.25x faster and a frozen
            teacher's forward 1.07-1.12x (tools/benchmark/teacher_layout.py); on GPUs
            it is the layout tensor-core convolutions use. Defaults to True.
        init_cfg (dict, optional): mmengine init config.

    Forward: ``images [B, C, H, W]`` -> ``(features [B, 4 * base_channels, H/4, W/4],)``;
    pair it with ``GlobalAveragePooling`` for the 64-d feature.
    """

    def __init__(self,
                 depth: int = 32,
                 in_channels: int = 3,
                 base_channels: int = 16,
                 channels_last: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f'depth must be 6n + 2 with n >= 1 (20, 32, 44, 56, ...), '
                             f'got {depth}.')
        blocks_per_stage = (depth - 2) // 6
        self.depth = depth
        self.conv1 = nn.Conv2d(in_channels, base_channels, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(base_channels)
        widths = [base_channels, base_channels * 2, base_channels * 4]
        stage_in = base_channels
        for index, width in enumerate(widths):
            first_stride = 1 if index == 0 else 2
            blocks = []
            for block_index in range(blocks_per_stage):
                stride = first_stride if block_index == 0 else 1
                blocks.append(BasicBlockOptionA(stage_in, width, stride))
                stage_in = width
            self.add_module(f'layer{index + 1}', nn.Sequential(*blocks))
        self.out_channels = stage_in
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight)
        self.channels_last = channels_last
        if channels_last:
            # In-place initialisers and load_state_dict keep these strides.
            self.to(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor]:
        if self.channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        x = F.relu(self.bn1(self.conv1(images)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return (x, )
