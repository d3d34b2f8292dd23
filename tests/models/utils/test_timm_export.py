"""timm export of a DeiT-LT student: strict load in timm, the same CLS / DIST / AVG logits."""
from pathlib import Path

import pytest
import timm
import torch

from deitlt_mm.apis.publish import config_num_heads
from deitlt_mm.errors import CheckpointMismatchError
from deitlt_mm.models.utils import convert_deit_student
from deitlt_mm.models.utils.timm_export import (
    TIMM_DEIT_DISTILLED,
    timm_deit_kwargs,
    to_timm_deit_state_dict,
)
from deitlt_mm.registry import MODELS
from deitlt_mm.runtime import load_config
from tests._tiny_vit import config_text

REPO = Path(__file__).resolve().parents[3]
# Student sizes of the configs: the tests' tiny one (8 px, 4 px patches), the CPU tiny
# and demo students (32 px, 4 px patches) and the paper's DeiT-B/16 at 224 px.
CONFIGS = ['tiny', 'configs/_base_/models/deit_tiny_patch4_32.py',
           'configs/demo/deitlt_tiny_fmnist_lt.py', 'configs/deitlt/deitlt_b_cifar10_if100.py']


def _config(name, tmp_path):
    if name == 'tiny':
        path = tmp_path / 'tiny.py'
        path.write_text(config_text())
        name = str(path)
    return load_config(str(REPO / name))


def _student(cfg):
    """The config's student (no teacher needed for logits), with random weights."""
    return MODELS.build(dict(type='ImageClassifier', backbone=cfg.model.backbone,
                             head=cfg.model.head)).eval()


@pytest.mark.parametrize('config', CONFIGS)
def test_timm_model_gives_our_cls_dist_and_averaged_logits(config, tmp_path):
    cfg = _config(config, tmp_path)
    ours = _student(cfg)
    with torch.no_grad():  # non-zero biases and LayerNorm affines: every weight counts
        for parameter in ours.parameters():
            if parameter.dim() == 1:
                parameter.add_(torch.randn_like(parameter) * 0.1)
    exported = to_timm_deit_state_dict(ours.state_dict())
    # num_heads as a checkpoint of this config carries it: meta.cfg, mmengine's text.
    kwargs = timm_deit_kwargs(exported, config_num_heads({'meta': {'cfg': cfg.pretty_text}}))
    backbone = cfg.model.backbone
    assert (kwargs['img_size'], kwargs['patch_size']) == (backbone.img_size, backbone.patch_size)
    assert kwargs['num_classes'] == cfg.model.head.num_classes
    with torch.device('meta'):  # no time spent on initial weights that are replaced
        theirs = timm.create_model(TIMM_DEIT_DISTILLED, pretrained=False, **kwargs).eval()
    theirs.load_state_dict(exported, strict=True, assign=True)

    size = backbone.img_size
    images = torch.randn(2 if size < 224 else 1, 3, size, size)
    with torch.no_grad():
        our_features = ours.extract_feat(images)
        cls_logits, dist_logits = ours.head(our_features)
        our_scores = torch.stack([sample.pred_score for sample in ours.head.predict(our_features)])
        features = theirs.forward_features(images)
        timm_cls, timm_dist = theirs.head(features[:, 0]), theirs.head_dist(features[:, 1])
        timm_average = theirs.forward_head(features)  # eval mode: (CLS + DIST) / 2
    torch.testing.assert_close(timm_cls, cls_logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(timm_dist, dist_logits, atol=1e-5, rtol=0)
    torch.testing.assert_close(timm_average, (cls_logits + dist_logits) / 2, atol=1e-5, rtol=0)
    torch.testing.assert_close(timm_average.softmax(dim=1), our_scores, atol=1e-6, rtol=0)


def test_export_is_the_inverse_of_the_import(tmp_path):
    state_dict = _student(_config('tiny', tmp_path)).state_dict()
    exported = to_timm_deit_state_dict(state_dict)
    assert 'dist_token' in exported and 'head_dist.weight' in exported
    assert not any(key.startswith(('backbone.', 'head.head')) for key in exported)
    back = convert_deit_student(exported)
    assert list(back) == list(state_dict)
    assert all(back[key] is state_dict[key] for key in state_dict)


def test_a_model_without_dist_token_is_refused(tmp_path):
    baseline = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=8, num_layers=1, num_heads=2), img_size=8,
                      patch_size=4, with_dist_token=False),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=8)))
    with pytest.raises(CheckpointMismatchError) as error:
        to_timm_deit_state_dict(baseline.state_dict(), 'baseline.pth')
    assert str(error.value) == (
        "baseline.pth: not a DeiT-LT student (DistilledVisionTransformer with DIST token + "
        "DualHead); missing ['backbone.dist_token', 'head.head.weight', "
        "'head.head_dist.weight'], not in timm's VisionTransformerDistilled "
        "['head.fc.bias', 'head.fc.weight'].")
