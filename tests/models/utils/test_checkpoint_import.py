"""Published teacher checkpoints converted into our teacher classifiers."""
import json

import pytest
import torch

from deitlt_mm.models.utils import (
    classifier_layer,
    convert_paco_teacher,
    load_checkpoint_file,
    load_converted_state_dict,
    load_teacher_checkpoint,
    permute_classifier_rows,
    save_state_dict_atomically,
)
from deitlt_mm.registry import MODELS


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
