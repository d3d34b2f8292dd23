"""Published teacher and student checkpoints converted into our classifiers."""
import argparse
import json

import pytest
import torch
from mmengine.runner import CheckpointLoader

from deitlt_mm.apis import init_model
from deitlt_mm.models.utils import (
    classifier_layer,
    convert_paco_teacher,
    is_reference_student,
    load_checkpoint_file,
    load_converted_state_dict,
    load_teacher_checkpoint,
    permute_classifier_rows,
    save_state_dict_atomically,
)
from deitlt_mm.registry import MODELS
from tests._http_server import serve_folder
from tests._tiny_vit import config_text, write_reference_student
from tests._tools import load_tool


def resnet32_teacher(num_classes=100):
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNetCifarOptionA', depth=32),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=64)))


def test_paco_resnet32_golden_logits(golden_dir):
    folder = golden_dir / 'paco_resnet32_cifar100'
    teacher = resnet32_teacher()
    load_teacher_checkpoint(teacher, folder / 'checkpoint.pth.tar')
    teacher.eval()
    expected = torch.load(folder / 'expected.pth', map_location='cpu', weights_only=True)
    with torch.no_grad():
        logits = teacher(expected['input'], mode='tensor')
    max_diff = (logits - expected['logits']).abs().max().item()
    print(f'PaCo ResNet32 golden: max abs diff {max_diff:.3e}')
    torch.testing.assert_close(logits, expected['logits'], rtol=1e-4, atol=1e-4)


def test_paco_resnet50_key_manifest_loads_strictly(golden_dir):
    manifest = json.loads((golden_dir / 'paco_resnet50_imagenetlt' / 'keys.json').read_text())
    state_dict = {}
    for key, shape in manifest['keys'].items():
        if key.endswith('num_batches_tracked'):
            state_dict[key] = torch.tensor(0)
        else:
            state_dict[key] = torch.randn(shape) if shape else torch.tensor(1.0)
    teacher = MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=50),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=2048)))
    converted = convert_paco_teacher(state_dict)
    load_converted_state_dict(teacher, converted, 'keys.json')
    assert set(converted) == set(teacher.state_dict())
    assert torch.equal(teacher.backbone.layer4[2].conv3.weight,
                       state_dict['module.encoder_q.layer4.2.conv3.weight'])
    assert torch.equal(teacher.head.fc.weight, state_dict['module.linear.weight'])


def test_class_count_mismatch_says_expected_and_found(golden_dir):
    with pytest.raises(ValueError, match='expects 10 classes, the checkpoint has 100'):
        load_teacher_checkpoint(resnet32_teacher(num_classes=10),
                                golden_dir / 'paco_resnet32_cifar100' / 'checkpoint.pth.tar')


def test_missing_and_unexpected_keys_are_listed():
    teacher = resnet32_teacher()
    state_dict = dict(teacher.state_dict())
    state_dict.pop('backbone.conv1.weight')
    state_dict['backbone.extra.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match=r"missing \['backbone.conv1.weight'\].*"
                                       r"unexpected \['backbone.extra.weight'\]"):
        load_converted_state_dict(teacher, state_dict, 'x.pth')


def test_unknown_paco_key_is_named():
    with pytest.raises(KeyError, match='module.projector.weight'.replace('module.', '')):
        convert_paco_teacher({'module.encoder_q.conv1.weight': torch.zeros(1),
                              'module.projector.weight': torch.zeros(1)})


def test_missing_file_and_unsafe_globals_are_named(tmp_path):
    missing = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(missing)
    unsafe = tmp_path / 'unsafe.pth'
    torch.save({'state_dict': {}, 'obj': torch.nn.ReLU()}, unsafe)
    with pytest.raises(RuntimeError, match=r'unsafe.pth.*torch.nn.modules.activation.ReLU'):
        load_checkpoint_file(unsafe)


def test_atomic_save_leaves_old_file_on_failure(tmp_path, monkeypatch):
    dst = tmp_path / 'converted.pth'
    save_state_dict_atomically({'a': torch.ones(2)}, dst)

    def failing_save(obj, file):
        file.write(b'partial')
        raise OSError('disk full')

    monkeypatch.setattr(torch, 'save', failing_save)
    with pytest.raises(OSError, match='disk full'):
        save_state_dict_atomically({'a': torch.zeros(2)}, dst)
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ['converted.pth']
    assert torch.equal(torch.load(dst, weights_only=True)['state_dict']['a'], torch.ones(2))


def test_permute_classifier_rows_of_a_timm_teacher():
    teacher = MODELS.build(dict(type='TimmClassifier', model_name='test_resnet',
                                pretrained=False, num_classes=3)).eval()
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        before = teacher(inputs, mode='tensor')
    permute_classifier_rows(teacher, [2, 0, 1])
    with torch.no_grad():
        after = teacher(inputs, mode='tensor')
    torch.testing.assert_close(after, before[:, [2, 0, 1]])
    with pytest.raises(ValueError, match='map.json: 4 classes, but the teacher predicts 3'):
        permute_classifier_rows(teacher, [0, 1, 2, 3], 'map.json')


def test_classifier_layer_of_an_unknown_layout_is_named():
    with pytest.raises(TypeError, match='Sequential teacher'):
        classifier_layer(torch.nn.Sequential(torch.nn.Linear(2, 2)))


def test_reference_student_file_loads_as_after_tools_convert(tmp_path):
    """A ``*_best_checkpoint.pth`` as the reference's main.py saves it (timm keys under
    ``model``, optimizer / scheduler / scaler state, ``args`` an argparse.Namespace) is
    recognised and converted while loading: the same logits as its converted file and
    as the timm model itself."""
    config = tmp_path / 'student.py'
    config.write_text(config_text(student=True))
    published = tmp_path / 'student_best_checkpoint.pth'
    timm_model = write_reference_student(published)
    raw = load_checkpoint_file(published)
    assert isinstance(raw['args'], argparse.Namespace) and is_reference_student(raw['model'])
    converted = tmp_path / 'converted.pth'
    load_tool('convert/deitlt_student.py').main([str(published), str(converted)])
    assert not is_reference_student(load_checkpoint_file(converted)['state_dict'])
    images = torch.randn(3, 3, 8, 8)
    with torch.no_grad():
        direct = init_model(str(config), str(published))(images, mode='tensor')
        after = init_model(str(config), str(converted))(images, mode='tensor')
        features = timm_model.forward_features(images)
    for ours, theirs in zip(direct, after):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)
    torch.testing.assert_close(direct[0], timm_model.head(features[:, 0]), rtol=0, atol=1e-5)
    torch.testing.assert_close(direct[1], timm_model.head_dist(features[:, 1]), rtol=0,
                               atol=1e-5)


def test_teacher_and_load_from_accept_http_addresses(tmp_path, monkeypatch):
    """``teacher_checkpoint`` and mmengine's ``load_from`` (``CheckpointLoader``) read an
    http:// address through the download cache, weights-only; a second read of the same
    address needs no server."""
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    served = tmp_path / 'served'
    served.mkdir()
    torch.manual_seed(0)
    teacher = resnet32_teacher(num_classes=10)
    save_state_dict_atomically(teacher.state_dict(), served / 'teacher.pth')
    student_cfg = dict(
        type='DistillClassifier',
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=8, num_layers=1, num_heads=2), img_size=8,
                      patch_size=4),
        head=dict(type='DualHead', num_classes=10, in_channels=8),
        teacher=dict(type='ImageClassifier', backbone=dict(type='ResNetCifarOptionA', depth=32),
                     neck=dict(type='GlobalAveragePooling'),
                     head=dict(type='LinearClsHead', num_classes=10, in_channels=64)))
    with serve_folder(served) as base:
        url = f'{base}/teacher.pth'
        student = MODELS.build(dict(student_cfg, teacher_checkpoint=url))
        from_mmengine = CheckpointLoader.load_checkpoint(url)
    cached = tmp_path / 'hub' / 'checkpoints' / 'teacher.pth'
    assert cached.is_file()
    for key, value in teacher.state_dict().items():
        torch.testing.assert_close(student.teacher.state_dict()[key], value, rtol=0, atol=0)
        torch.testing.assert_close(from_mmengine['state_dict'][key], value, rtol=0, atol=0)
    again = MODELS.build(dict(student_cfg, teacher_checkpoint=url))  # server is down now
    torch.testing.assert_close(again.teacher.head.fc.weight, teacher.head.fc.weight)
