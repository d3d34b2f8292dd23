"""The six paper configs resolve to the paper's settings; the baselines differ only
where they should; a missing teacher file stops a run before training."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from deitlt_mm.datasets.class_map_file import check_teacher_class_map
from deitlt_mm.runtime.config import account_for_accumulation
from tests._tools import load_tool

REPO = Path(__file__).resolve().parents[2]
train_tool = load_tool('train.py')

# The paper settings (the reference's sh/train_*.sh): epochs, drw, teacher depth, teacher size,
# (batch per GPU, GPUs, accumulation), classes, imbalance factor, test split cut points.
SETTINGS = {
    'deitlt_b_cifar10_if100': (1200, 1100, 32, 32, (128, 2, 4), 10, 0.01),
    'deitlt_b_cifar10_if50': (1200, 1100, 32, 32, (128, 2, 4), 10, 0.02),
    'deitlt_b_cifar100_if100': (1200, 1100, 32, 32, (128, 2, 4), 100, 0.01),
    'deitlt_b_cifar100_if50': (1200, 1100, 32, 32, (128, 2, 4), 100, 0.02),
    'deitlt_b_imagenetlt': (1400, 1200, 50, 224, (128, 4, 4), 1000, None),
    'deitlt_b_inat18': (1000, 900, 50, 224, (128, 4, 4), 8142, None),
}


def load(name):
    return Config.fromfile(str(REPO / 'configs' / 'deitlt' / f'{name}.py'))


def lr_after_scaling(cfg, gpus):
    """The lr mmengine's Runner sets for ``gpus`` devices after tools/train.py's fix-up."""
    account_for_accumulation(cfg)
    ratio = gpus * cfg.train_dataloader.batch_size / cfg.auto_scale_lr.base_batch_size
    return cfg.optim_wrapper.optimizer.lr * ratio


@pytest.mark.parametrize('name', sorted(SETTINGS))
def test_paper_setting_values(name):
    epochs, drw, teacher_depth, teacher_size, (batch, gpus, accumulation), num_classes, \
        imb_factor = SETTINGS[name]
    cfg = load(name)

    # Schedule: AdamW 5e-4 x global batch / 512, wd 0.05, eps 1e-8.
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.optim_wrapper.accumulative_counts == accumulation
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.weight_decay, optimizer.eps) == ('AdamW', 0.05, 1e-8)
    assert cfg.auto_scale_lr == dict(base_batch_size=512, enable=True)
    lr = lr_after_scaling(cfg, gpus)
    assert lr == pytest.approx(5e-4 * batch * gpus * accumulation / 512)

    # Warmup 5 epochs from 1e-6, then cosine to 1e-5 at the last epoch: the cosine has no
    # end, so mmengine's Runner ends it at max_epochs (T_max = end - begin).
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end, warmup.by_epoch) == ('LinearLR', 0, 5, True)
    assert warmup.start_factor * lr == pytest.approx(1e-6)
    assert (cosine.type, cosine.begin, cosine.eta_min) == ('CosineAnnealingLR', 5, 1e-5)
    assert 'end' not in cosine and 'T_max' not in cosine
    assert warmup.convert_to_iter_based and cosine.convert_to_iter_based

    # DRW at the paper's epoch; Mixup/CutMix off from then on where the reference's script
    # passes --no-mixup-drw (sh/train_c*.sh), on for ImageNet-LT / iNat (sh/train_imagenetlt.sh,
    # sh/train_inat.sh do not).
    no_mixup_drw = 'cifar' in name
    assert cfg.custom_hooks == [dict(type='DRWHook', drw=drw, no_mixup_drw=no_mixup_drw)]

    # Student: DeiT-B/16 at 224, drop path 0.1, hard distillation alpha 0.5, beta
    # 0.9999, distillation loss weighted (DRW), CLS loss not, smoothing 0.1.
    model = cfg.model
    assert model.type == 'DistillClassifier'
    assert (model.backbone.arch, model.backbone.img_size, model.backbone.patch_size,
            model.backbone.drop_path_rate) == ('deit-base', 224, 16, 0.1)
    loss = model.head.loss
    assert (loss.type, loss.distillation_type, loss.alpha, loss.beta, loss.label_smoothing,
            loss.weighted_cls_loss) == ('DRWDistillLoss', 'hard', 0.5, 0.9999, 0.1, False)
    assert [(a.type, a.alpha) for a in model.train_cfg.augments] == [
        ('InPlaceMixup', 0.8), ('CutMix', 1.0)]

    # Teacher: ResNet32 (CIFAR) / ResNet50 at its input size, the dataset's classes.
    assert model.teacher.backbone.depth == teacher_depth
    assert model.teacher_size == teacher_size
    # The data preprocessor is the dataset config's (mmengine's Runner hands it over).
    assert 'data_preprocessor' not in model
    assert model.head.num_classes == model.teacher.head.num_classes == \
        cfg.data_preprocessor.num_classes == cfg.num_classes == num_classes
    assert model.teacher_checkpoint.endswith('.pth')
    # Label order: the published ImageNet-LT / iNat teachers predict the original labels
    # and are re-ordered with the class map file the three datasets load; CIFAR labels
    # are in frequency order already.
    if imb_factor is None:
        assert model.teacher_label_order == 'original'
        assert model.teacher_class_map_file == cfg.data_root + '/class_map.json'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            assert cfg[loader].dataset.data_root == cfg.data_root
            assert cfg[loader].dataset.class_map_file == 'class_map.json'
    else:
        assert (model.teacher_label_order, model.teacher_class_map_file) == ('student', None)
    check_teacher_class_map(cfg)
    if imb_factor is not None:
        assert cfg.train_dataloader.dataset.imb_factor == imb_factor
        for loader in ('val_dataloader', 'test_dataloader'):  # the whole test set
            assert 'imb_factor' not in cfg[loader].dataset


def test_warmup_start_follows_the_batch():
    # On one GPU (global batch 512) CIFAR's lr is 5e-4 and warmup starts at 5e-7.
    cfg = load('deitlt_b_cifar100_if100')
    lr = lr_after_scaling(cfg, gpus=1)
    assert lr == pytest.approx(5e-4)
    assert cfg.param_scheduler[0].start_factor * lr == pytest.approx(5e-7)


def test_baselines_change_only_the_distillation():
    student = load('deitlt_b_cifar100_if100')
    dist_labels = Config.fromfile(
        str(REPO / 'configs/deitlt/baselines/deit_b_cifar100_if100_dist_token_labels.py'))
    assert dist_labels.model.head.loss.distillation_type == 'none'
    assert dist_labels.model.teacher is None and dist_labels.model.teacher_checkpoint is None
    no_distill = Config.fromfile(
        str(REPO / 'configs/deitlt/baselines/deit_b_cifar100_if100_no_distill.py'))
    # The student's backbone without its DIST token: only with_dist_token differs.
    assert no_distill.model.type == 'ImageClassifier'
    assert no_distill.model.backbone == dict(student.model.backbone, with_dist_token=False)
    assert no_distill.model.train_cfg == student.model.train_cfg  # Mixup / CutMix
    assert 'custom_hooks' not in no_distill
    for baseline in (dist_labels, no_distill):
        for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'auto_scale_lr',
                    'data_preprocessor', 'train_dataloader', 'test_dataloader'):
            assert baseline[key] == student[key], key


def test_missing_teacher_file_stops_before_training(tmp_path):
    missing = tmp_path / 'no_teacher.pth'
    env = {**os.environ, 'DEITLT_TEACHER_CKPT': str(missing), 'OMP_NUM_THREADS': '1'}
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/deitlt/deitlt_b_cifar10_if100.py',
         '--work-dir', str(tmp_path / 'work')],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert f"teacher_checkpoint '{missing}' does not exist" in proc.stderr
    assert 'model.teacher_checkpoint=PATH' in proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
    assert not list((tmp_path / 'work').rglob('*.pth'))


def test_datasets_and_teacher_on_two_maps_are_refused_before_building(tmp_path):
    # Moving the datasets without the teacher's map would distil in another label order.
    moved = [f'{loader}.dataset.data_root={tmp_path}'
             for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    # tools/train.py reports the error in one line (SystemExit) before building anything.
    with pytest.raises(SystemExit, match=r'loads the class map .*class_map\.json but the '
                       r'teacher is re-ordered with model\.teacher_class_map_file='
                       r'data/imagenet_lt/class_map\.json'):
        train_tool.main(['configs/deitlt/deitlt_b_imagenetlt.py', '--work-dir',
                         str(tmp_path / 'work'), '--cfg-options', *moved])
    # Datasets computing their own map while the teacher is re-ordered with a file.
    with pytest.raises(SystemExit, match='val_dataloader.dataset loads no class map file'):
        train_tool.main(['configs/deitlt/deitlt_b_inat18.py', '--work-dir',
                         str(tmp_path / 'work'), '--cfg-options',
                         'val_dataloader.dataset.class_map_file=None'])
    assert not (tmp_path / 'work').exists()
