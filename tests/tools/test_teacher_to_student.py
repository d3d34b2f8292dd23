"""A teacher config trained by tools/train.py is the teacher of a student config as is."""
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config

from deitlt_mm.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
TEACHER_CONFIG = REPO / 'configs' / 'teachers' / 'resnet32_ldam-drw-sam_cifar10-lt-if100.py'
STUDENT_MODEL = REPO / 'configs' / '_base_' / 'models' / 'deit_tiny_patch4_32.py'
COUNTS = [16, 8, 4, 4]


def loaders(train_pipeline):
    common = dict(batch_size=8, num_workers=0, persistent_workers=False)
    train = dict(**common, sampler=dict(type='DefaultSampler', shuffle=True),
                 dataset=dict(type='RandomImageDataset', class_counts=COUNTS, img_size=32,
                              pipeline=train_pipeline))
    val = dict(**common, sampler=dict(type='DefaultSampler', shuffle=False),
               dataset=dict(type='RandomImageDataset', class_counts=[4] * 4, img_size=32,
                            seed=1, pipeline=[dict(type='PackInputs')]))
    evaluator = dict(type='LongTailAccuracy', cut_points=[1, 3])
    return dict(train_dataloader=train, val_dataloader=val, test_dataloader=val,
                val_evaluator=evaluator, test_evaluator=evaluator)


def tiny_teacher_config(path):
    """The CIFAR-10-LT LDAM-DRW + SAM teacher recipe on 4 synthetic classes, 1 epoch."""
    cfg = Config.fromfile(str(TEACHER_CONFIG))
    cfg.model.head.num_classes = cfg.data_preprocessor.num_classes = len(COUNTS)
    # Assignment, not merge (Config.update merges): the CIFAR dataset keys must go.
    for key, value in loaders(cfg.train_dataloader.dataset.pipeline).items():
        cfg[key] = value
    cfg.train_cfg.max_epochs = 1
    cfg.train_cfg.val_interval = 1
    cfg.custom_hooks = [dict(type='DRWHook', drw=0, no_mixup_drw=False)]
    cfg.default_hooks.logger.interval = 1
    cfg.dump(str(path))
    return cfg


def tiny_student_config(path, teacher_cfg, teacher_checkpoint):
    cfg = Config(dict(
        _base_=None, default_scope='deitlt_mm', custom_imports=teacher_cfg.custom_imports,
        model=Config.fromfile(str(STUDENT_MODEL)).model,
        optim_wrapper=dict(type='SAMOptimWrapper', rho=0.05,
                           optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)),
        train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1), val_cfg=dict(),
        test_cfg=dict(),
        custom_hooks=[dict(type='DRWHook', drw=0)],
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook', interval=1),
                           train_class_counts=dict(type='TrainClassCountsHook')),
        randomness=dict(seed=0)))
    cfg.pop('_base_')
    for key, value in loaders([dict(type='PackInputs')]).items():
        cfg[key] = value
    model = cfg.model
    model.head.num_classes = model.data_preprocessor.num_classes = len(COUNTS)
    model.data_preprocessor.to_rgb = False
    model.teacher = teacher_cfg.model
    model.teacher_checkpoint = str(teacher_checkpoint)
    model.teacher_size = 32
    cfg.dump(str(path))
    return cfg


def train(config, work_dir):
    proc = subprocess.run([sys.executable, 'tools/train.py', str(config), '--work-dir',
                           str(work_dir)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, f'{config} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return next(Path(work_dir).glob('*/*.log')).read_text()


def test_teacher_run_checkpoint_is_the_student_teacher(tmp_path):
    teacher_cfg = tiny_teacher_config(tmp_path / 'teacher.py')
    teacher_log = train(tmp_path / 'teacher.py', tmp_path / 'teacher')
    assert 'long_tail/top1' in teacher_log and 'long_tail/tail' in teacher_log
    assert 'DRWHook: epoch 0: DRW on' in teacher_log
    checkpoint = tmp_path / 'teacher' / 'epoch_1.pth'
    teacher_weights = torch.load(checkpoint, map_location='cpu', weights_only=False)[
        'state_dict']
    # The teacher trained: its classifier moved away from the config's initialisation.
    fresh = MODELS.build(teacher_cfg.model)
    fresh.init_weights()
    assert not torch.equal(fresh.head.fc.weight, teacher_weights['head.fc.weight'])

    student_cfg = tiny_student_config(tmp_path / 'student.py', teacher_cfg, checkpoint)
    student = MODELS.build(student_cfg.model)
    teacher_state = student.teacher.state_dict()
    assert teacher_state.keys() == teacher_weights.keys()
    for key, value in teacher_weights.items():
        assert torch.equal(teacher_state[key], value), key

    student_log = train(tmp_path / 'student.py', tmp_path / 'student')
    assert 'loss_dist' in student_log
    assert 'long_tail/avg/top1' in student_log and 'long_tail/dist/tail' in student_log
    assert (tmp_path / 'student' / 'epoch_1.pth').is_file()
