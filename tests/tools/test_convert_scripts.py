"""tools/convert scripts: converted files load strictly and give the same logits."""
import argparse
import importlib.util
import pathlib
from pathlib import Path

import torch
from timm.models.deit import VisionTransformerDistilled

from deitlt_mm.models.utils import load_teacher_checkpoint
from deitlt_mm.registry import MODELS

TOOLS = Path(__file__).resolve().parents[2] / 'tools' / 'convert'


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_paco_teacher_script(golden_dir, tmp_path):
    folder = golden_dir / 'paco_resnet32_cifar100'
    dst = tmp_path / 'out' / 'resnet32_teacher.pth'
    load_script('paco_teacher').main([str(folder / 'checkpoint.pth.tar'), str(dst)])
    assert sorted(p.name for p in dst.parent.iterdir()) == ['resnet32_teacher.pth']
    teacher = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ResNetCifarOptionA', depth=32),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100, in_channels=64)))
    load_teacher_checkpoint(teacher, dst)
    expected = torch.load(folder / 'expected.pth', map_location='cpu', weights_only=True)
    with torch.no_grad():
        logits = teacher.eval()(expected['input'], mode='tensor')
    torch.testing.assert_close(logits, expected['logits'], rtol=1e-4, atol=1e-4)


def test_deitlt_student_script(tmp_path):
    timm_model = VisionTransformerDistilled(img_size=16, patch_size=4, embed_dim=32, depth=1,
                                            num_heads=2, num_classes=3).eval()
    src = tmp_path / 'student_best_checkpoint.pth'
    torch.save({'model': timm_model.state_dict(), 'epoch': 1,
                'args': argparse.Namespace(data_path=pathlib.PosixPath('/data'))}, src)
    dst = tmp_path / 'student.pth'
    load_script('deitlt_student').main([str(src), str(dst)])
    converted = torch.load(dst, map_location='cpu', weights_only=True)['state_dict']
    ours = MODELS.build(dict(
        type='DistillClassifier',
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=32, num_layers=1, num_heads=2),
                      img_size=16, patch_size=4),
        head=dict(type='DualHead', num_classes=3, in_channels=32,
                  loss=dict(type='DRWDistillLoss', distillation_type='none')))).eval()
    ours.load_state_dict(converted, strict=True)
    images = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        features = timm_model.forward_features(images)
        cls_logits, dist_logits = ours(images, mode='tensor')
    torch.testing.assert_close(cls_logits, timm_model.head(features[:, 0]), atol=1e-5, rtol=0)
    torch.testing.assert_close(dist_logits, timm_model.head_dist(features[:, 1]), atol=1e-5,
                               rtol=0)
