"""kill -9 in the middle of an epoch, then ``tools/train.py --resume``: bit-identical weights.

One tiny DeiT-LT run per case (2 blocks, 32 px, a random-init ResNet teacher, DropPath)
with every random part of the paper recipe: RandomResizedCrop, RandomFlip, RandAugment,
random erasing (in the data preprocessor), Mixup / CutMix, DRW with Mixup off from the last
epoch, two DataLoader workers. Each case trains three epochs uninterrupted, and again with a
hook that sends SIGKILL to the process(es) in the middle of an epoch, then resumes with
``--resume`` and compares the final checkpoints tensor by tensor (rtol = atol = 0).

The reference and the resumed run of a case use different ``persistent_workers``: the
augmentation of a sample must not depend on the worker that loads it, nor on how long
the worker has lived.
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
COUNTS = [10, 6, 4, 4]  # 24 images: 6 batches of 4 per epoch (3 per rank with 2 ranks)
MAX_EPOCHS = 3
DRW_EPOCH = 2  # 0-based: the last epoch re-weights, without Mixup / CutMix

KILL_HOOK = '''
import os
import signal

from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class KillAtIterationHook(Hook):
    """SIGKILL this process after iteration `at` (1-based), as `kill -9` would."""

    def __init__(self, at):
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at:
            os.kill(os.getpid(), signal.SIGKILL)
'''

TRAIN_PIPELINE = [
    dict(type='RandomResizedCrop', scale=32, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10,
         magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[128, 128, 128], interpolation='bicubic')),
    dict(type='PackInputs'),
]


def write_config(tmp_path, persistent_workers, kill_at=None):
    """The run's config: the real default runtime (hooks included) + a tiny DeiT-LT."""
    models = REPO / 'configs' / '_base_' / 'models'
    cfg = Config.fromfile(str(REPO / 'configs' / '_base_' / 'deitlt_default_hooks.py'))
    model = Config.fromfile(str(models / 'deit_tiny_patch4_32.py')).model
    teacher = Config.fromfile(str(models / 'resnet32_cifar.py')).model
    teacher.backbone.depth = 8
    teacher.head.num_classes = len(COUNTS)
    model.backbone.drop_path_rate = 0.1
    model.head.num_classes = len(COUNTS)
    model.data_preprocessor.num_classes = len(COUNTS)
    # Random erasing as the paper configs run it: timm's, on the normalised batch.
    model.data_preprocessor.update(type='ErasingClsDataPreprocessor',
                                   random_erasing=dict(probability=0.5, mode='pixel'))
    model.update(teacher=teacher, teacher_size=16)
    loader = dict(batch_size=4, num_workers=2, persistent_workers=persistent_workers)
    cfg.merge_from_dict(dict(
        model=model,
        train_dataloader=dict(
            **loader, sampler=dict(type='DefaultSampler', shuffle=True),
            dataset=dict(type='RandomImageDataset', class_counts=COUNTS, img_size=32,
                         pipeline=TRAIN_PIPELINE)),
        val_dataloader=dict(
            batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(type='RandomImageDataset', class_counts=[1] * len(COUNTS),
                         img_size=32, seed=1, pipeline=[dict(type='PackInputs')])),
        val_evaluator=dict(type='Accuracy', topk=(1, )),
        val_cfg=dict(),
        train_cfg=dict(by_epoch=True, max_epochs=MAX_EPOCHS, val_interval=1),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)),
        param_scheduler=dict(type='CosineAnnealingLR', T_max=MAX_EPOCHS, by_epoch=True,
                             convert_to_iter_based=True),
        custom_hooks=[dict(type='DRWHook', drw=DRW_EPOCH, no_mixup_drw=True)],
        default_hooks=dict(logger=dict(interval=1)),
        randomness=dict(seed=0, deterministic=True),
        log_level='WARNING',
    ))
    if kill_at is not None:
        (tmp_path / 'kill_hook.py').write_text(KILL_HOOK)
        cfg.custom_imports = dict(imports=['deitlt_mm', 'kill_hook'],
                                  allow_failed_imports=False)
        cfg.custom_hooks.append(dict(type='KillAtIterationHook', at=kill_at))
    path = tmp_path / f'resume_cfg_{"kill" if kill_at else "plain"}.py'
    cfg.dump(str(path))
    return path


def train(tmp_path, cfg_path, work_dir, ranks, port=29540, extra=(), killed=False):
    """``tools/train.py`` (one rank) or ``tools/dist_train.sh`` (two) in a subprocess."""
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1', 'PORT': str(port),
           'PYTHONPATH': os.pathsep.join([str(tmp_path), os.environ.get('PYTHONPATH', '')])}
    if ranks == 1:
        cmd = [sys.executable, 'tools/train.py', str(cfg_path)]
    else:
        cmd = ['bash', 'tools/dist_train.sh', str(cfg_path), str(ranks)]
    proc = subprocess.run([*cmd, '--work-dir', str(work_dir), *extra], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    log = f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    if killed:
        # One process: killed by the signal; torchrun: exit 1 naming the killed ranks.
        assert proc.returncode in (-signal.SIGKILL, 1), log
        assert 'SIGKILL' in log or proc.returncode == -signal.SIGKILL, log
    else:
        assert proc.returncode == 0, log


def assert_identical(reference, resumed):
    ref = torch.load(reference, map_location='cpu')
    res = torch.load(resumed, map_location='cpu')
    assert ref['meta']['epoch'] == res['meta']['epoch'] == MAX_EPOCHS
    assert ref['state_dict'].keys() == res['state_dict'].keys()
    differing = [key for key, value in ref['state_dict'].items()
                 if not torch.equal(value, res['state_dict'][key])]
    assert not differing, f'{len(differing)} of {len(ref["state_dict"])} tensors differ'
    ref_state = ref['optimizer']['state']
    res_state = res['optimizer']['state']
    assert ref_state.keys() == res_state.keys()
    for index, state in ref_state.items():
        for name, value in state.items():
            torch.testing.assert_close(value, res_state[index][name], rtol=0, atol=0)


def test_resume_after_sigkill_single_process(tmp_path):
    # 6 iterations per epoch: killed at batch 4 of epoch 2 (DRW follows in epoch 3).
    kill_at = 10
    reference = tmp_path / 'reference'
    # Every run in a fresh process, as a user's: a pytest process that has run other
    # tests is not a clean start (an in-process reference once differed in every tensor
    # after a few hundred other tests, never in a fresh process).
    train(tmp_path, write_config(tmp_path, persistent_workers=True), reference, ranks=1)

    interrupted = tmp_path / 'interrupted'
    cfg = write_config(tmp_path, persistent_workers=False, kill_at=kill_at)
    train(tmp_path, cfg, interrupted, ranks=1, killed=True)
    assert (interrupted / 'last_checkpoint').read_text().endswith('epoch_1.pth')
    assert not (interrupted / 'epoch_2.pth').exists()

    cfg = write_config(tmp_path, persistent_workers=False)  # the same, without the kill
    train(tmp_path, cfg, interrupted, ranks=1, extra=['--resume'])
    assert_identical(reference / f'epoch_{MAX_EPOCHS}.pth',
                     interrupted / f'epoch_{MAX_EPOCHS}.pth')


def test_resume_after_sigkill_two_ranks(tmp_path):
    # 3 iterations per epoch and rank: both ranks killed at batch 2 of epoch 3 (DRW on).
    kill_at, port = 8, 29543
    reference = tmp_path / 'reference'
    train(tmp_path, write_config(tmp_path, persistent_workers=False), reference, 2, port)

    interrupted = tmp_path / 'interrupted'
    cfg = write_config(tmp_path, persistent_workers=True, kill_at=kill_at)
    train(tmp_path, cfg, interrupted, 2, port, killed=True)
    assert (interrupted / 'last_checkpoint').read_text().endswith('epoch_2.pth')
    assert not (interrupted / 'epoch_3.pth').exists()

    cfg = write_config(tmp_path, persistent_workers=True)
    train(tmp_path, cfg, interrupted, 2, port, extra=['--resume'])
    assert_identical(reference / f'epoch_{MAX_EPOCHS}.pth',
                     interrupted / f'epoch_{MAX_EPOCHS}.pth')
