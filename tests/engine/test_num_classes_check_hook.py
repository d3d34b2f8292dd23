"""NumClassesCheckHook: every class count of student and teacher against the dataset."""
from types import SimpleNamespace

import pytest

from deitlt_mm.datasets import RandomImageDataset
from deitlt_mm.engine.hooks import NumClassesCheckHook
from deitlt_mm.engine.hooks.num_classes_check_hook import model_class_counts
from deitlt_mm.errors import NumClassesError
from deitlt_mm.registry import MODELS


def build_student(head_classes=4, teacher_classes=None, preprocessor_classes=4):
    teacher_classes = head_classes if teacher_classes is None else teacher_classes
    return MODELS.build(dict(
        type='DistillClassifier',
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=32, num_layers=1, num_heads=2),
                      img_size=32, patch_size=8),
        head=dict(type='DualHead', num_classes=head_classes, in_channels=32,
                  loss=dict(type='DRWDistillLoss', distillation_type='hard')),
        teacher=dict(
            type='ImageClassifier',
            backbone=dict(type='ResNetCifarOptionA', depth=8),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=teacher_classes, in_channels=64),
            # Never used (the teacher gets the student's batch): not checked.
            data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=100)),
        data_preprocessor=dict(type='ClsDataPreprocessor', num_classes=preprocessor_classes)))


def fake_runner(model, classes=4):
    dataset = RandomImageDataset(class_counts=[2] * classes, img_size=8)
    loader = SimpleNamespace(dataset=dataset)
    return SimpleNamespace(model=model, train_dataloader=loader, val_loop=None,
                           test_loop=SimpleNamespace(dataloader=loader))


def test_counts_of_student_and_teacher_are_found():
    # DistillClassifier itself refuses a teacher whose classes differ from the head's.
    assert model_class_counts(build_student(5, 5, 6)) == {
        'model.head.num_classes': 5,
        'model.data_preprocessor.num_classes': 6,
        'model.teacher.head.num_classes': 5,
    }


def test_matching_counts_pass():
    hook = NumClassesCheckHook()
    runner = fake_runner(build_student())
    hook.before_train(runner)
    hook.before_test(runner)


def test_a_student_with_more_classes_than_the_data_fails_at_start():
    # Before this check it failed only at the DRW epoch (weights of 4 vs 10 logits).
    runner = fake_runner(build_student(head_classes=10, preprocessor_classes=10))
    with pytest.raises(NumClassesError) as error:
        NumClassesCheckHook().before_train(runner)
    assert str(error.value) == (
        'class count mismatch: the training dataset (RandomImageDataset) has 4 classes but '
        'model.head.num_classes = 10, model.teacher.head.num_classes = 10, '
        'model.data_preprocessor.num_classes = 10; set them to 4 '
        '(e.g. --cfg-options model.head.num_classes=4) or use the matching dataset')


def test_teacher_head_is_checked_at_test_time():
    runner = fake_runner(build_student(head_classes=3, preprocessor_classes=4))
    with pytest.raises(NumClassesError, match=r'the test dataset .* has 4 classes but '
                                              r'model.head.num_classes = 3, '
                                              r'model.teacher.head.num_classes = 3;'):
        NumClassesCheckHook().before_test(runner)
