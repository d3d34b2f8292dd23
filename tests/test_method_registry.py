"""Every DeiT-LT component resolves by name in mmpretrain's registries."""
import pytest
from mmpretrain.registry import HOOKS, MODELS

from deitlt_mm.engine.hooks import DRWHook
from deitlt_mm.models.backbones import DistilledVisionTransformer, ResNetCifarOptionA
from deitlt_mm.models.classifiers import DistillClassifier
from deitlt_mm.models.heads import DualHead
from deitlt_mm.models.losses import DRWDistillLoss


@pytest.mark.parametrize('name,cls', [
    ('DistilledVisionTransformer', DistilledVisionTransformer),
    ('ResNetCifarOptionA', ResNetCifarOptionA),
    ('DualHead', DualHead),
    ('DRWDistillLoss', DRWDistillLoss),
    ('DistillClassifier', DistillClassifier),
])
def test_models_registry(name, cls):
    assert MODELS.get(name) is cls


def test_hooks_registry():
    assert HOOKS.get('DRWHook') is DRWHook
