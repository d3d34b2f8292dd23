"""Offline end-to-end demo on Fashion-MNIST-LT: ``python tools/demo.py``.

Chains the three configs under ``configs/demo/`` through ``tools/train.py`` and
``tools/test.py`` (one process per stage runs both, so each prints mmengine's usual
logs):

1. ResNet20 teacher (the paper's CIFAR ResNet32, shallower), SAM + CE-DRW
   (``--teacher paco``: SAM + PaCo);
2. DeiT-LT student distilled from that teacher (``model.teacher_checkpoint``);
3. DeiT baseline without distillation, same size and budget;

then prints one head / mid / tail table of the three models on the balanced
10,000-image test set (the DeiT-LT block with a TEACHER row: its teacher seen
through the student's test run), a WARNING when that teacher looks degenerate
(collapsed or near chance), and writes, under ``--work-dir``, each stage's logs,
checkpoint, ``results.json`` and ``per_class.png``, and ``summary.json`` (table,
warnings, figures and wall time per stage). Training runs in bf16
autocast where the CPU has bf16 instructions and runs bf16 matmuls clearly faster than
fp32 (``--precision auto``; ``bf16`` / ``fp32`` force either), testing in fp32.

Each stage's budget is a number of iterations (``IterBudgetTrainLoop``), so on other
data (``--data-root``: any four IDX files) every stage takes as many optimizer steps,
and about as long, as on Fashion-MNIST-LT.

The data are the official IDX files of the Debian package
``dataset-fashion-mnist``; when they are missing from the default folder the
demo installs the package (as root, with apt-get) or says how to get it.
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time

import torch
from mmengine.logging import MMLogger

from deitlt_mm.analysis import (
    attention_distance_report,
    feature_rank_report,
    summarize_runs,
)
from deitlt_mm.engine.optimizers.mixed_precision import (
    cpu_bf16_instructions,
    cpu_bf16_matmul_speedup,
)
from deitlt_mm.evaluation import format_comparison_table, load_long_tail_results
from deitlt_mm.evaluation.plot import plot_per_class_accuracy
from deitlt_mm.fileio import dump_json_atomic, resolve_checkpoint_path
from deitlt_mm.runtime import quiet_console, setup_env

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEBIAN_PACKAGE = 'dataset-fashion-mnist'
DEBIAN_DATA_ROOT = '/usr/share/datasets/fashion-mnist'
IDX_STEMS = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
             't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')

# --precision auto trains in bf16 only when a bf16 matmul is at least this much faster.
MIN_BF16_SPEEDUP = 1.2
# An epoch no demo config reaches: train_cfg.val_begin past the end skips validation.
NO_VALIDATION_EPOCH = 10**6
# Teacher recipes of stage 1 (--teacher).
TEACHER_CONFIGS = {
    'ce-drw': 'configs/demo/resnet20_fmnist_lt_teacher.py',
    'paco': 'configs/demo/resnet20_paco_fmnist_lt_teacher.py',
}
# (stage name, config, row label in the table); the teacher's config is the --teacher
# recipe's, the student stage gets the teacher's checkpoint.
STAGES = (
    ('teacher', None, 'teacher ResNet20'),
    ('deitlt', 'configs/demo/deitlt_tiny_fmnist_lt.py', 'DeiT-LT'),
    ('baseline', 'configs/demo/deit_tiny_fmnist_lt_no_distill.py', 'DeiT no distill'),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='folder for every stage\'s logs, checkpoints and results')
    parser.add_argument('--teacher', choices=sorted(TEACHER_CONFIGS), default='ce-drw',
                        help='recipe of the ResNet20 teacher: CE-DRW or PaCo, both with SAM')
    parser.add_argument('--data-root', default=DEBIAN_DATA_ROOT,
                        help='folder of the Fashion-MNIST IDX files (.gz or raw)')
    parser.add_argument('--threads', type=int, default=usable_cores(),
                        help='torch threads of each stage (OMP_NUM_THREADS); default: the '
                        'cores this process may use, right on an idle machine; on one '
                        'shared with other jobs, fewer (e.g. 1) avoid threads stalling '
                        'each other')
    parser.add_argument('--precision', choices=('auto', 'bf16', 'fp32'), default='auto',
                        help='training precision of the three stages: bf16 autocast '
                        '(train.py --amp) or fp32; auto (default) = bf16 where the CPU has '
                        'bf16 instructions (AVX512-BF16, AMX) and runs bf16 matmuls at least '
                        f'{MIN_BF16_SPEEDUP}x as fast as fp32, else fp32')
    parser.add_argument('--verbose', action='store_true',
                        help='print all the tools print (mmengine\'s environment and config '
                        'dumps included); by default each stage shows one progress line, '
                        'its full output is in <work-dir>/<stage>/console.log and the logs')
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f'--threads must be >= 1, got {args.threads}')
    if args.precision == 'auto':
        args.precision, args.precision_reason = auto_precision(args.threads)
    else:
        args.precision_reason = 'set by --precision'
    return args


def usable_cores():
    """The CPU cores this process may run on (its affinity), else all of them."""
    if hasattr(os, 'sched_getaffinity'):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def auto_precision(threads):
    """``('bf16' | 'fp32', why)``: bf16 where this CPU has bf16 instructions and runs
    bf16 matmuls clearly faster than fp32 with the stages' ``threads`` (a 30 ms check),
    fp32 elsewhere."""
    instructions = cpu_bf16_instructions()
    if not instructions:
        return 'fp32', 'this CPU has no bf16 instructions'
    torch.set_num_threads(threads)
    speedup = cpu_bf16_matmul_speedup()
    found = f'{"/".join(instructions)}, bf16 matmul {speedup:.2f}x fp32 speed'
    return ('bf16' if speedup >= MIN_BF16_SPEEDUP else 'fp32'), found


def missing_files(data_root):
    return [stem for stem in IDX_STEMS
            if not any(osp.isfile(osp.join(data_root, stem + ext)) for ext in ('.gz', ''))]


def ensure_data(data_root):
    """Return when the IDX files are there; install the Debian package if allowed."""
    missing = missing_files(data_root)
    if not missing:
        return
    can_install = (data_root == DEBIAN_DATA_ROOT and shutil.which('apt-get') is not None
                   and hasattr(os, 'geteuid') and os.geteuid() == 0)
    if can_install:
        banner(f'installing {DEBIAN_PACKAGE} (Fashion-MNIST IDX files) with apt-get')
        subprocess.run(['apt-get', 'install', '-y', DEBIAN_PACKAGE], check=False)
        missing = missing_files(data_root)
        if not missing:
            return
    raise SystemExit(
        f'Fashion-MNIST not found: {", ".join(missing)} (.gz or raw) missing in '
        f'{data_root}.\nGet it with:  sudo apt-get install -y {DEBIAN_PACKAGE}  '
        f'(files land in {DEBIAN_DATA_ROOT}),\nor pass --data-root DIR with the four '
        'official IDX files.')


# mmengine's progress lines, and the console lines a user must see (the rest is logged).
PROGRESS_LINE = re.compile(r'Epoch\((train|val|test)\) .*\beta: ')
NEEDS_THE_USER = re.compile(r' - (WARNING|ERROR|CRITICAL) - |^error: |Error|Traceback')


def banner(text):
    print(f'\n{"=" * 78}\n== {text}\n{"=" * 78}', flush=True)


# Runs tools one after the other in one interpreter: `python -c RUN_TOOLS ARGV_JSON`,
# ARGV_JSON a list of argv lists (script first), each run as `python <argv...>` would.
RUN_TOOLS = ('import json, runpy, sys\n'
             'for argv in json.loads(sys.argv[1]):\n'
             '    sys.argv = argv\n'
             '    runpy.run_path(argv[0], run_name="__main__")')


def run_tools(argvs, threads, console_log, verbose=False):
    """Run ``tools/<script> args`` for each argv of ``argvs``, in order, in one child
    process with ``threads`` torch threads (one start-up of torch and mmengine instead
    of one per tool); a failing tool stops the process with its exit status.

    The tools' console goes to ``console_log`` in full; this console shows their
    progress (mmengine's ``Epoch(...) [i/n] ... eta`` lines) on one line, rewritten in
    place, and their warnings and errors. ``verbose`` shows everything, and makes the
    tools print what they otherwise only log to their log files.
    """
    for argv in argvs:
        print(f'$ OMP_NUM_THREADS={threads} python ' + ' '.join(argv), flush=True)
    if verbose:
        argvs = [[*argv, '--verbose'] for argv in argvs]
    child = subprocess.Popen([sys.executable, '-c', RUN_TOOLS, json.dumps(argvs)], cwd=REPO,
                             env=dict(os.environ, OMP_NUM_THREADS=str(threads)),
                             stdout=subprocess.PIPE, text=True)
    progress = ''
    os.makedirs(osp.dirname(console_log), exist_ok=True)
    with open(console_log, 'w') as log:
        for line in child.stdout:
            log.write(line)
            if verbose:
                print(line, end='', flush=True)
            elif PROGRESS_LINE.search(line):
                progress = line.rstrip('\n').split(' - INFO - ')[-1]  # no time stamp
                print(f'\r{progress[:shutil.get_terminal_size().columns - 1]}\033[K', end='',
                      flush=True)
            elif NEEDS_THE_USER.search(line):
                print(('\n' if progress else '') + line, end='', flush=True)
                progress = ''
    if progress:
        print()
    if child.wait():
        raise subprocess.CalledProcessError(child.returncode, argvs)


def degenerate_teacher_warnings(results):
    """One line per student whose test run flagged its teacher (its ``teacher_check``)."""
    warnings = []
    for label, result in results.items():
        check = result.teacher_check
        if check and check['degenerate']:
            warnings.append(
                f'the teacher of {label} looks degenerate: its most predicted class takes '
                f"{check['top_class_share']:.1f} % of the test predictions, top-1 "
                f"{result.predictions['teacher'].top1:.2f} % (limits: "
                'deitlt_mm/evaluation/teacher_check.py; details in the WARNING of the '
                'test log). The student distilled from it.')
    return warnings


def main(argv=None):
    args = parse_args(argv)
    setup_env()  # the analyses run in this process
    if not args.verbose:
        quiet_console(MMLogger.get_current_instance())
    data_root = osp.abspath(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    ensure_data(data_root)
    # Named in titles: other IDX data (--data-root) by its folder.
    data_name = 'Fashion-MNIST-LT (IF100)' if data_root == DEBIAN_DATA_ROOT else \
        f'{osp.basename(data_root)}-LT (IF100)'
    data_options = [f'{loader}.dataset.data_root={data_root}'
                    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]

    banner(f'training precision: {args.precision} ({args.precision_reason})')
    start = time.time()
    results, wall_s, teacher_checkpoint = {}, {}, None
    for number, (stage, config, label) in enumerate(STAGES, 1):
        if stage == 'teacher':
            config = TEACHER_CONFIGS[args.teacher]
        stage_dir = osp.join(work_dir, stage)
        options = list(data_options)
        if stage == 'deitlt':
            options.append(f'model.teacher_checkpoint={teacher_checkpoint}')
        stage_start = time.time()
        banner(f'stage {number}/{len(STAGES)}: train {label} ({config}), {args.precision}, '
               'then test it on the balanced test set')
        # No validation inside training: the test evaluates the checkpoint next, the work
        # dir's latest (the last epoch's, whose number follows the data size).
        amp = ['--amp'] if args.precision == 'bf16' else []
        results_file = osp.join(stage_dir, 'results.json')
        run_tools([['tools/train.py', config, '--work-dir', stage_dir, *amp, '--cfg-options',
                    *options, f'train_cfg.val_begin={NO_VALIDATION_EPOCH}'],
                   ['tools/test.py', config, stage_dir, '--work-dir', stage_dir, '--out',
                    results_file, '--cfg-options', *options]], args.threads,
                  osp.join(stage_dir, 'console.log'), args.verbose)
        if stage == 'teacher':
            teacher_checkpoint = resolve_checkpoint_path(stage_dir)
        # One LongTailAccuracy per demo config (prefix long_tail).
        results[label], = load_long_tail_results(results_file).values()
        plot_per_class_accuracy(results[label], osp.join(stage_dir, 'per_class.png'),
                                title=f'{label}, {data_name} test')
        wall_s[stage] = round(time.time() - stage_start, 1)

    # The DeiT-LT block has a TEACHER row: the student's teacher, scored by the student's
    # test run (the same checkpoint as the first row, seen through the student's pipeline).
    table = format_comparison_table({
        label: results[label] for label in ('teacher ResNet20', 'DeiT no distill', 'DeiT-LT')})
    warnings = degenerate_teacher_warnings(results)
    analysis_start = time.time()
    analyses = run_analyses(work_dir, data_root, data_name, args.threads)
    wall_s['analyses'] = round(time.time() - analysis_start, 1)
    total_s = round(time.time() - start, 1)
    dump_json_atomic(dict(table=table, warnings=warnings, teacher=args.teacher,
                          analyses=analyses, wall_s=dict(wall_s, total=total_s),
                          precision=args.precision, precision_reason=args.precision_reason,
                          long_tail={label: r.to_dict() for label, r in results.items()}),
                     osp.join(work_dir, 'summary.json'))
    banner(f'{data_name}, balanced test set, top-1 %')
    print(table)
    for warning in warnings:
        print(f'\nWARNING: {warning}')
    print(f'\nwall time ({args.precision} training): {total_s:.0f} s ('
          + ', '.join(f'{stage} {seconds:.0f} s' for stage, seconds in wall_s.items())
          + f')\nper-class plots: {work_dir}/*/per_class.png; '
          f'figures: {work_dir}/summary.json', flush=True)
    print('analyses (tools/analysis/; README, Main commands):\n' + '\n'.join(
        f'  {name}: {path}' for name, path in analyses.items()), flush=True)


# Test images of the analyses: 500 for attention distance (a mean over 64 queries of
# each image; 500 images put it within a few hundredths of a pixel of the whole test
# set's), 2,000 for the feature rank (200 per class, more than the 64 feature dims).
ATTENTION_IMAGES = 500
FEATURE_RANK_IMAGES = 2000


def run_analyses(work_dir, data_root, data_name, threads):
    """Attention distance and feature rank of the two students, and all runs in one
    table (tools/analysis/); returns the written files by name."""
    torch.set_num_threads(threads)
    out = osp.join(work_dir, 'analysis')
    options = {'test_dataloader.dataset.data_root': data_root}
    students = [(stage, label, osp.join(REPO, config),
                 resolve_checkpoint_path(osp.join(work_dir, stage)))
                for stage, config, label in STAGES if stage != 'teacher']
    banner('analyses: attention distance and feature rank of the two students')
    paths = attention_distance_report([run[1:] for run in students], out, ATTENTION_IMAGES,
                                      cfg_options=options)
    files = dict(attention_distance=paths['png'], attention_distance_json=paths['json'])
    for stage, label, config, checkpoint in students:
        paths = feature_rank_report(config, checkpoint, osp.join(out, stage),
                                    FEATURE_RANK_IMAGES, cfg_options=options,
                                    title=f'{label}, {data_name} test')
        files.update({f'feature_rank_{stage}': paths['png'],
                      f'feature_rank_{stage}_json': paths['json']})
    written = summarize_runs([osp.join(work_dir, stage, 'results.json')
                              for stage, _, _ in STAGES], out)
    files.update(runs_table=written['markdown'], runs_csv=written['csv'],
                 runs_per_class=written['png'])
    return files


if __name__ == '__main__':
    main()
