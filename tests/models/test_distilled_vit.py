"""DistilledVisionTransformer + DualHead against timm's VisionTransformerDistilled."""
import argparse
import math
import pathlib

import pytest
import torch
import torch.nn.functional as F
from timm.models.deit import VisionTransformerDistilled

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
