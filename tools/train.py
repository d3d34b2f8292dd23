"""Train a model from a config: ``python tools/train.py CONFIG [options]``."""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
from deitlt_mm.compat import finish_distributed, init_distributed  # noqa: E402, I001
from deitlt_mm.datasets.class_map_file import check_teacher_class_map  # noqa: E402
from deitlt_mm.config_checks import check_cfg_options, load_config  # noqa: E402
from deitlt_mm.errors import exit_on_run_error  # noqa: E402
from deitlt_mm.engine.runners import released_run_instances  # noqa: E402
from deitlt_mm.engine.compile_student import compile_student, pop_compile_cfg  # noqa: E402
from deitlt_mm.engine.hooks import PreemptionCheckpointHook, RankPhaseHook  # noqa: E402
from deitlt_mm.engine.optimizers import enable_mixed_precision  # noqa: E402
from deitlt_mm.runtime.preemption import exit_for_requeue_on_preemption  # noqa: E402
from deitlt_mm.runtime.rank_watchdog import DEFAULT_TIMEOUT_S, watch_ranks  # noqa: E402
from deitlt_mm.runtime.work_dir_lock import hold_work_dir  # noqa: E402
from deitlt_mm.engine.vis_backends import (  # noqa: E402
    VIS_BACKENDS,
    add_vis_backends,
    check_vis_backends,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a deitlt_mm config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or (no value) from the latest '
                        'checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision: bf16 on CPUs with bf16 instructions, bf16 or '
                        'fp16 (loss scaling) on GPUs')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the effective batch (per-device batch x '
                        'devices x gradient accumulation) / auto_scale_lr.base_batch_size')
    parser.add_argument('--vis-backend', nargs='+', choices=sorted(VIS_BACKENDS), default=[],
                        help='live curves besides the log: tensorboard (event files in '
                        '<work-dir>/<timestamp>/vis_data, `tensorboard --logdir <work-dir>`) '
                        'and/or wandb (project deitlt_mm); training loss and lr, and after '
                        'every validation each metric incl. long_tail/<token>/head|mid|tail')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_epochs=3')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none',
                        help='job launcher (tools/dist_train.sh uses pytorch)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args) -> Config:
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        try:
            enable_mixed_precision(cfg.optim_wrapper)
        except ValueError as error:
            raise SystemExit(f'--amp: {error}') from None

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    add_vis_backends(cfg, args.vis_backend)
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg:
            raise SystemExit(f'--auto-scale-lr: {args.config} has no `auto_scale_lr` '
                             '(expected dict(base_batch_size=..., enable=False)).')
        cfg.auto_scale_lr.enable = True
    account_for_accumulation(cfg)
    return cfg


def account_for_accumulation(cfg: Config) -> None:
    """Make mmengine's lr scaling use the effective batch.

    mmengine scales by ``devices x batch_size / base_batch_size`` and ignores
    ``optim_wrapper.accumulative_counts``; dividing the base batch by the
    accumulation count gives the same ratio as multiplying the real batch.
    """
    scale_cfg = cfg.get('auto_scale_lr')
    accumulation = cfg.get('optim_wrapper', {}).get('accumulative_counts', 1)
    if scale_cfg and scale_cfg.get('enable') and accumulation > 1:
        scale_cfg.base_batch_size = scale_cfg.base_batch_size / accumulation


# Bad input ends the run with one line on stderr (deitlt_mm.errors, docs/bad_inputs.md).
@released_run_instances()
@exit_on_run_error()
def main(argv=None):
    args = parse_args(argv)
    cfg = merge_args(load_config(args.config), args)
    # One run per work dir: rank 0 holds its lock for the whole run.
    rank = 0 if args.launcher == 'none' else int(
        os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0')))
    with hold_work_dir(cfg.work_dir, take=rank == 0):
        train(cfg, args)


def train(cfg, args):
    """Build the runner from the merged config and train (on rank 0 under the lock)."""
    check_teacher_class_map(cfg)
    check_vis_backends(cfg)
    # `compile` compiles the student network, not mmengine's whole train_step.
    compile_cfg = pop_compile_cfg(cfg)
    # Collectives and the rank watchdog give up after this (seconds), not torch's 30 min.
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    dist_cfg.setdefault('timeout', DEFAULT_TIMEOUT_S)
    init_distributed(args.launcher, dist_cfg['timeout'])
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    if compile_cfg is not None:
        compile_student(runner.model, compile_cfg)
    # SIGTERM / SIGUSR1 (Slurm preemption): checkpoint at the iteration, exit status 75.
    runner.register_hook(PreemptionCheckpointHook(), priority='LOWEST')
    # A dead or frozen rank stops every rank within the timeout, with one line naming it.
    runner.register_hook(RankPhaseHook(), priority='VERY_HIGH')
    with exit_for_requeue_on_preemption(), watch_ranks(dist_cfg['timeout']):
        runner.train()
    # Only after success: on an error a barrier would wait for ranks still training.
    finish_distributed()


if __name__ == '__main__':
    main()
