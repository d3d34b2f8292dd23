"""The CIFAR PaCo + SAM teacher config through mmengine's Runner on synthetic data:
train, resume, and its checkpoint as the teacher of a DeiT-LT student."""
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from deitlt_mm.registry import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
TEACHER_CONFIG = CONFIGS / 'teachers' / 'resnet32_paco-sam_cifar10-lt-if100.py'
COUNTS = [8, 4, 2, 2]
BATCH = 8


def tiny_paco_config(work_dir, max_epochs, resume=False):
    """The config's model, two-view pipeline, SAM and schedule on 16 synthetic images."""
    cfg = Config.fromfile(str(TEACHER_CONFIG))
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.model.head.num_classes = cfg.data_preprocessor.num_classes = len(COUNTS)
    cfg.model.queue_size = 64
    common = dict(batch_size=BATCH, num_workers=0, persistent_workers=False)
    cfg.train_dataloader = dict(
        **common, drop_last=True, sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='RandomImageDataset', class_counts=COUNTS, img_size=32,
                     pipeline=cfg.train_dataloader.dataset.pipeline))
    cfg.val_dataloader = cfg.test_dataloader = dict(
        **common, sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='RandomImageDataset', class_counts=[2] * 4, img_size=32, seed=1,
                     pipeline=[dict(type='PackInputs')]))
    cfg.val_evaluator = cfg.test_evaluator = dict(type='LongTailAccuracy', cut_points=[1, 3])
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.logger.interval = 1
    cfg.log_level = 'INFO'
    return cfg


def dataset_labels(epochs):
    """Every training label, ``epochs`` times, sorted."""
    return sorted([label for label, count in enumerate(COUNTS) for _ in range(count)] * epochs)


def test_train_resume_and_teach(tmp_path):
    runner = Runner.from_cfg(tiny_paco_config(tmp_path, max_epochs=1))
    runner.train()
    model = runner.model
    # SAM ran two passes per step; each batch went into the queue once, every image of
    # the epoch exactly once, and the key encoder was updated once per step.
    assert int(model.queue_ptr) == 16 and int(model.momentum_encoder.steps) == 2
    assert sorted(model.queue_labels[:16].tolist()) == dataset_labels(1)
    log = next(Path(runner.log_dir).glob('*.log')).read_text()
    assert f'TrainClassCountsHook: training class counts {COUNTS} handed to PaCoLoss.' in log
    assert 'long_tail/top1' in log
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))

    checkpoint = tmp_path / 'epoch_1.pth'
    state = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    assert int(state['queue_ptr']) == 16 and int(state['momentum_encoder.steps']) == 2

    # --resume continues the queue and the key encoder where the checkpoint left them.
    resumed = Runner.from_cfg(tiny_paco_config(tmp_path, max_epochs=2, resume=True))
    resumed.train()
    assert int(resumed.model.queue_ptr) == 32 and int(resumed.model.momentum_encoder.steps) == 4
    assert sorted(resumed.model.queue_labels[:32].tolist()) == dataset_labels(2)
    assert torch.equal(resumed.model.queue[:16], state['queue'][:16])

    # The checkpoint is the teacher of a student with the usual ResNet32 teacher config.
    student_cfg = Config.fromfile(str(CONFIGS / '_base_' / 'models' / 'deit_tiny_patch4_32.py'))
    teacher_cfg = Config.fromfile(
        str(CONFIGS / '_base_' / 'models' / 'deitlt_base_resnet32_teacher.py')).model.teacher
    teacher_cfg.pop('_delete_', None)
    teacher_cfg.head.num_classes = student_cfg.model.head.num_classes = len(COUNTS)
    student = MODELS.build(dict(student_cfg.model, teacher=teacher_cfg,
                                teacher_checkpoint=str(checkpoint), teacher_size=32))
    trained = MODELS.build(tiny_paco_config(tmp_path, max_epochs=1).model)
    trained.load_state_dict(state)
    images = torch.randn(3, 3, 32, 32)
    trained.eval()
    with torch.no_grad():
        torch.testing.assert_close(student.teacher_logits(images),
                                   trained(images, mode='tensor'), rtol=0, atol=0)
