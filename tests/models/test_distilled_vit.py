"""DistilledVisionTransformer + DualHead against timm's VisionTransformerDistilled."""
import argparse
import math
import pathlib

import pytest
import torch
import torch.nn.functional as F
from timm.models.deit import VisionTransformerDistilled
from timm.models.vision_transformer import VisionTransformer

from deitlt_mm.models.backbones import DistilledVisionTransformer
from deitlt_mm.models.utils import load_deit_student_checkpoint
from deitlt_mm.registry import MODELS

IMG, PATCH, DIM, DEPTH, HEADS, CLASSES = 32, 4, 64, 2, 2, 5


def tiny_student():
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=DIM, num_layers=DEPTH, num_heads=HEADS),
                      img_size=IMG, patch_size=PATCH),
        head=dict(type='DualHead', num_classes=CLASSES, in_channels=DIM,
                  loss=dict(type='DRWDistillLoss', distillation_type='none'))))


@pytest.fixture()
def timm_and_ours(tmp_path):
    timm_model = VisionTransformerDistilled(
        img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH, num_heads=HEADS,
        num_classes=CLASSES).eval()
    # Non-trivial weights everywhere (timm zero-inits some biases and the heads).
    with torch.no_grad():
        for param in timm_model.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    path = tmp_path / 'student_best_checkpoint.pth'
    torch.save({'model': timm_model.state_dict(), 'epoch': 7,
                'args': argparse.Namespace(output_dir=pathlib.PosixPath('/out'), drw=1100)},
               path)
    ours = tiny_student().eval()
    load_deit_student_checkpoint(ours, path)
    return timm_model, ours


def timm_token_logits(timm_model, features):
    return timm_model.head(features[:, 0]), timm_model.head_dist(features[:, 1])


def test_registry_resolves_to_our_class():
    assert MODELS.get('DistilledVisionTransformer') is DistilledVisionTransformer


def test_matches_timm_at_native_resolution(timm_and_ours):
    timm_model, ours = timm_and_ours
    images = torch.randn(3, 3, IMG, IMG)
    with torch.no_grad():
        timm_cls, timm_dist = timm_token_logits(timm_model, timm_model.forward_features(images))
        cls_logits, dist_logits = ours(images, mode='tensor')
    max_diff = max((cls_logits - timm_cls).abs().max().item(),
                   (dist_logits - timm_dist).abs().max().item())
    print(f'timm parity at {IMG}px: max abs diff {max_diff:.3e}')
    assert max_diff < 1e-5


def reference_pos_embed(pos_embed, images, patch):
    """The DeiT-LT / DINO formula, written out as the reference states it."""
    _, _, w, h = images.shape
    num_patches = pos_embed.shape[1] - 2
    dim = pos_embed.shape[-1]
    w0 = w // patch + 0.1
    h0 = h // patch + 0.1
    side = math.sqrt(num_patches)
    grid = pos_embed[:, 2:].reshape(1, int(side), int(side), dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, scale_factor=(w0 / side, h0 / side), mode='bicubic')
    patch_pos = grid.permute(0, 2, 3, 1).view(1, -1, dim)
    return torch.cat([pos_embed[:, :2], patch_pos], dim=1)


@pytest.mark.parametrize('height,width', [(48, 48), (40, 56)])
def test_pos_embed_resampling_matches_reference_formula(timm_and_ours, height, width):
    timm_model, ours = timm_and_ours
    images = torch.randn(2, 3, height, width)
    expected_pos = reference_pos_embed(timm_model.pos_embed.detach(), images, PATCH)
    with torch.no_grad():
        ours_pos = ours.backbone.resample_pos_embed(height, width)
    assert ours_pos.shape == (1, (height // PATCH) * (width // PATCH) + 2, DIM)
    assert torch.equal(ours_pos, expected_pos)
    # The whole forward with that table equals timm's blocks fed the reference table.
    with torch.no_grad():
        tokens = timm_model.patch_embed.proj(images).flatten(2).transpose(1, 2)
        tokens = torch.cat([timm_model.cls_token.expand(2, -1, -1),
                            timm_model.dist_token.expand(2, -1, -1), tokens], dim=1)
        features = timm_model.norm(timm_model.blocks(tokens + expected_pos))
        timm_cls, timm_dist = timm_token_logits(timm_model, features)
        cls_logits, dist_logits = ours(images, mode='tensor')
    assert torch.allclose(cls_logits, timm_cls, atol=1e-5)
    assert torch.allclose(dist_logits, timm_dist, atol=1e-5)


def test_native_resolution_keeps_pos_embed():
    backbone = DistilledVisionTransformer(
        arch=dict(embed_dims=DIM, num_layers=1, num_heads=HEADS), img_size=IMG, patch_size=PATCH)
    assert backbone.resample_pos_embed(IMG, IMG) is backbone.pos_embed
    assert backbone.pos_embed.shape == (1, (IMG // PATCH) ** 2 + 2, DIM)


@pytest.mark.parametrize('arch,dims', [('deit-tiny', 192), ('deit-small', 384)])
def test_named_archs(arch, dims):
    backbone = DistilledVisionTransformer(arch=arch, img_size=32, patch_size=16)
    cls_feat, dist_feat = backbone(torch.randn(1, 3, 32, 32))
    assert cls_feat.shape == dist_feat.shape == (1, dims)
    assert len(backbone.blocks) == 12
    assert backbone.blocks[0].norm1.eps == 1e-6


def test_bad_arch_is_named():
    with pytest.raises(ValueError, match='deit-huge'):
        DistilledVisionTransformer(arch='deit-huge')
    with pytest.raises(ValueError, match='num_heads'):
        DistilledVisionTransformer(arch=dict(embed_dims=64, num_layers=2))
    with pytest.raises(ValueError, match='depth'):
        DistilledVisionTransformer(arch=dict(embed_dims=64, num_layers=2, num_heads=2, depth=3))


def test_custom_arch_mlp_ratio():
    backbone = DistilledVisionTransformer(
        arch=dict(embed_dims=16, num_layers=1, num_heads=2, mlp_ratio=2.0), img_size=8,
        patch_size=4)
    assert backbone.blocks[0].mlp.fc1.out_features == 32


def test_student_import_rejects_foreign_keys(tmp_path):
    path = tmp_path / 'bad.pth'
    torch.save({'model': {'fc.weight': torch.zeros(2, 2)}}, path)
    with pytest.raises(KeyError, match='fc.weight'):
        load_deit_student_checkpoint(tiny_student(), path)


def reference_plain_pos_embed(pos_embed, images, patch):
    """The reference's CLS-only ViT (``interpolate_pos_encoding_plain``), written out."""
    _, _, w, h = images.shape
    num_patches = pos_embed.shape[1] - 1
    dim = pos_embed.shape[-1]
    side = math.sqrt(num_patches)
    grid = pos_embed[:, 1:].reshape(1, int(side), int(side), dim).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, scale_factor=((w // patch + 0.1) / side,
                                             (h // patch + 0.1) / side), mode='bicubic')
    return torch.cat([pos_embed[:, :1], grid.permute(0, 2, 3, 1).view(1, -1, dim)], dim=1)


def test_without_dist_token_is_timm_vit_and_resamples_like_the_reference():
    """The no-distillation baseline: the same backbone, CLS token only."""
    timm_model = VisionTransformer(img_size=IMG, patch_size=PATCH, embed_dim=DIM, depth=DEPTH,
                                   num_heads=HEADS, num_classes=CLASSES).eval()
    with torch.no_grad():
        for param in timm_model.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    backbone = DistilledVisionTransformer(
        arch=dict(embed_dims=DIM, num_layers=DEPTH, num_heads=HEADS), img_size=IMG,
        patch_size=PATCH, with_dist_token=False).eval()
    state = {k: v for k, v in timm_model.state_dict().items() if not k.startswith('head.')}
    backbone.load_state_dict(state, strict=True)
    assert backbone.dist_token is None and backbone.pos_embed.shape == (1, 65, DIM)
    images = torch.randn(2, 3, IMG, IMG)
    with torch.no_grad():
        feats = backbone(images)
        expected = timm_model.forward_features(images)[:, 0]
    assert len(feats) == 1
    assert (feats[0] - expected).abs().max().item() < 1e-5
    odd = torch.randn(1, 3, 40, 56)
    assert torch.equal(backbone.resample_pos_embed(40, 56),
                       reference_plain_pos_embed(timm_model.pos_embed.detach(), odd, PATCH))


def test_attention_maps_are_the_weights_each_block_applies():
    backbone = tiny_student().backbone.eval()
    images = torch.randn(2, 3, IMG, IMG)
    maps = backbone.attention_maps(images)
    tokens = (IMG // PATCH) ** 2 + 2
    assert len(maps) == DEPTH and all(m.shape == (2, HEADS, tokens, tokens) for m in maps)
    with torch.no_grad():
        x = backbone.embed(images)
        for block, weights in zip(backbone.blocks, maps):
            attn, inputs = block.attn, block.norm1(x)
            torch.testing.assert_close(weights.sum(-1), torch.ones(2, HEADS, tokens))
            # weights @ v through the output projection = the fused attention's output.
            values = attn.qkv(inputs).reshape(2, tokens, 3, HEADS, DIM // HEADS)[:, :, 2]
            mixed = (weights @ values.transpose(1, 2)).transpose(1, 2).reshape(2, tokens, DIM)
            torch.testing.assert_close(attn.proj(mixed), attn(inputs), atol=1e-5, rtol=1e-5)
            x = block(x)


def test_drop_path_scales_the_sample_mask_not_the_tokens():
    backbone = DistilledVisionTransformer(
        arch=dict(embed_dims=8, num_layers=2, num_heads=2), img_size=8, patch_size=4,
        drop_path_rate=0.5).train()
    drop_path = backbone.blocks[1].drop_path1  # rate 0.5 (linear ramp 0 -> 0.5)
    tokens = torch.randn(64, 3, 8)
    torch.manual_seed(1)
    out = drop_path(tokens)
    torch.manual_seed(1)
    mask = tokens.new_empty(64, 1, 1).bernoulli_(0.5).div_(0.5)
    assert torch.equal(out, tokens * mask)
    assert 0 < int((mask == 0).sum()) < 64


def test_initialisation_is_the_references():
    """CLS token ~ N(0, 1e-6) (timm's init_weights), DIST token and pos_embed ~ N(0, .02),
    linears N(0, .02) with zero bias, patch convolution PyTorch's default."""
    torch.manual_seed(0)
    backbone = DistilledVisionTransformer(arch='deit-small', img_size=32, patch_size=16)
    assert 0 < backbone.cls_token.abs().max() < 1e-5
    for token in (backbone.dist_token, backbone.pos_embed):
        assert abs(token.std().item() - 0.02) < 0.005
    qkv = backbone.blocks[0].attn.qkv
    assert abs(qkv.weight.std().item() - 0.02) < 0.002 and not qkv.bias.any()
    # nn.Conv2d's default (kaiming uniform, a=sqrt(5)): bound 1 / sqrt(fan_in).
    conv = backbone.patch_embed.proj
    fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
    assert conv.weight.abs().max() <= fan_in ** -0.5
    assert conv.weight.std() > 0.5 * fan_in ** -0.5 / 3 ** 0.5
