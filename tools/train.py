"""Train a model from a config: ``python tools/train.py CONFIG [options]``."""
import argparse
import os

from mmengine.config import DictAction

from deitlt_mm.runtime import (
    VIS_BACKENDS,
    load_config,
    prepare_cfg,
    tool_run,
    train,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a deitlt_mm config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or (no value) from the latest '
                        'checkpoint in the work dir')
    precision = parser.add_mutually_exclusive_group()
    precision.add_argument('--amp', action='store_true', default=None,
                           help='mixed precision, also on CPU (bf16, CPUs with bf16 '
                           'instructions only). On GPUs it is the default: bf16 on compute '
                           'capability >= 8.0, else fp16 with dynamic loss scaling; TF32 on')
    precision.add_argument('--no-amp', dest='amp', action='store_false',
                           help='train in float32 (TF32 off) also on GPUs, as the paper did')
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
    parser.add_argument('--verbose', action='store_true',
                        help='also print what goes to the log file only: mmengine\'s '
                        'environment and config dumps, per-parameter reports')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


# Bad input ends the run with one line on stderr (deitlt_mm.errors, docs/bad_inputs.md).
@tool_run()
def main(argv=None):
    args = parse_args(argv)
    cfg = prepare_cfg(load_config(args.config), args, mode='train')
    train(cfg, verbose=args.verbose)


if __name__ == '__main__':
    main()
