"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--out results.json]``.

``CHECKPOINT`` is a checkpoint file (ours, a converted one, or a student of the reference
code as published, converted while loading), an ``http(s)://`` address (downloaded once
into the download cache), or a work dir of ``tools/train.py``: its latest checkpoint
(the one its ``last_checkpoint`` file names). A student whose ``teacher_checkpoint`` file
does not exist is scored alone (no TEACHER row; one line says so).

Prints the metrics (overall / head / mid / tail top-1 for each prediction the
model makes; progress lines at least every tenth of the test set) and, with ``--out``,
writes them as JSON (atomically): ``config``, ``checkpoint``, its ``epoch`` / ``iter``
(from the checkpoint's meta), ``metrics``, the
evaluator's flat scalars, and ``long_tail``, the structured results of every
``LongTailAccuracy`` by its prefix (``LongTailResults.to_dict()``: per-prediction
figures and per-class accuracies, class groups, training counts).
"""
import argparse
import os

from mmengine.config import DictAction
from mmengine.dist import is_main_process

from deitlt_mm.evaluation import LongTailAccuracy, format_metrics
from deitlt_mm.evaluation.results import to_jsonable
from deitlt_mm.fileio import check_writable, dump_json_atomic, resolve_checkpoint_path
from deitlt_mm.models.utils import load_model_checkpoint
from deitlt_mm.runtime import (
    build_runner,
    finish_distributed,
    load_config,
    log_test_progress,
    prepare_cfg,
    tool_run,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test a deitlt_mm checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file or http(s):// address, or a '
                        'training work dir (its latest checkpoint, named in its '
                        'last_checkpoint file, or its best with --which best)')
    parser.add_argument('--which', choices=['latest', 'best'], default='latest',
                        help='for a work dir: its latest checkpoint, or its best one '
                        '(best_*.pth, kept by configs with checkpoint save_best)')
    parser.add_argument('--out', help='write all metrics to this JSON file')
    parser.add_argument('--work-dir', help='folder for the test logs '
                        '(default: ./work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. test_dataloader.batch_size=64')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm'], default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    parser.add_argument('--verbose', action='store_true',
                        help='also print what goes to the log file only: mmengine\'s '
                        'environment and config dumps, per-parameter reports')
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


# Bad input ends the run with one line on stderr (deitlt_mm.errors, docs/bad_inputs.md),
# checked before the model is built and the test set is read.
@tool_run()
def main(argv=None):
    args = parse_args(argv)
    args.checkpoint = resolve_checkpoint_path(args.checkpoint, args.which)
    if args.out:
        check_writable(args.out, what='--out')
    cfg = prepare_cfg(load_config(args.config), args, mode='test')
    runner = build_runner(cfg, verbose=args.verbose)
    checkpoint = load_model_checkpoint(runner.model, args.checkpoint)
    # As mmengine's Runner.load_checkpoint: hooks read the checkpoint's meta (the
    # training class counts of TrainClassCountsHook).
    runner.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    log_test_progress(runner)
    metrics = runner.test()
    if is_main_process():
        report(metrics, long_tail_results(runner), args, checkpoint.get('meta') or {})
    # Only after success: on an error a barrier would wait for ranks still testing.
    finish_distributed()


def long_tail_results(runner) -> dict:
    """``{prefix: LongTailResults}`` of the test evaluator's ``LongTailAccuracy`` metrics."""
    return {metric.prefix: metric.long_tail_results for metric in runner.test_evaluator.metrics
            if isinstance(metric, LongTailAccuracy)}


def report(metrics: dict, long_tail: dict, args, checkpoint_meta: dict) -> None:
    print(format_metrics(metrics, long_tail))
    if args.out:
        dump_json_atomic(
            dict(config=args.config, checkpoint=args.checkpoint,
                 # Training progress of the checkpoint (None for a plain state dict).
                 epoch=checkpoint_meta.get('epoch'), iter=checkpoint_meta.get('iter'),
                 metrics=to_jsonable(metrics),
                 long_tail={prefix: results.to_dict() for prefix, results in long_tail.items()}),
            args.out)
        print(f'metrics written to {args.out}')


if __name__ == '__main__':
    main()
