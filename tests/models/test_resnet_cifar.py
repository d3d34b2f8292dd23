"""ResNetCifarOptionA: depth 6n+2, option-A shortcut, output shape."""
import pytest
import torch

from deitlt_mm.models.backbones import ResNetCifarOptionA


@pytest.mark.parametrize('depth,blocks', [(20, 3), (32, 5)])
def test_depth_and_output_shape(depth, blocks):
    backbone = ResNetCifarOptionA(depth=depth)
    assert len(backbone.layer1) == len(backbone.layer3) == blocks
    (features, ) = backbone(torch.randn(2, 3, 32, 32))
    assert features.shape == (2, 64, 8, 8)
    # Option A: no projection weights in any shortcut.
    assert not any('downsample' in name or 'shortcut' in name
                   for name, _ in backbone.named_parameters())


def test_option_a_shortcut_subsamples_and_zero_pads():
    block = ResNetCifarOptionA(depth=8).layer2[0]
    x = torch.randn(1, 16, 8, 8)
    shortcut = block.shortcut(x)
    assert shortcut.shape == (1, 32, 4, 4)
    assert torch.equal(shortcut[:, 8:24], x[:, :, ::2, ::2])
    assert shortcut[:, :8].abs().sum() == 0 and shortcut[:, 24:].abs().sum() == 0


def test_bad_depth_is_named():
    with pytest.raises(ValueError, match='6n \\+ 2.*33'):
        ResNetCifarOptionA(depth=33)
