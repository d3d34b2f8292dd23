"""Python part of ``tools/benchmark/gpu_check.sh``: step throughput, MFU, a SAM AMP step.

    python tools/benchmark/gpu_check.py step [--device cuda] [--arch deit-base]
        [--batch-size 128] [--iters 20] [--peak-tflops 989] [--compile]
    python tools/benchmark/gpu_check.py dist-summary WORK_DIR

``step`` builds the paper student (DeiT-B/16 at 224 + ResNet32 teacher at 32 px,
DualHead / DRWDistillLoss, Mixup/CutMix, the student schedule's fused AdamW) in bf16
through ``MixedPrecisionOptimWrapper`` and

1. counts the FLOPs of one training step with ``torch.utils.flop_counter.FlopCounterMode``
   (matmuls, convolutions and attention of the student's forward and backward and of
   the teacher's forward; element-wise work is not counted, as usual for MFU; torch counts
   flash attention's backward with its recomputed scores, +0.7 % for DeiT-B at 224);
2. times ``--iters`` steps after ``--warmup`` on a fixed batch and prints img/s,
   achieved TFLOP/s and MFU = counted FLOPs / step time / peak (``--peak-tflops``:
   989, the H200's dense bf16 peak; set it for another GPU);
3. runs ``--sam-steps`` steps of ``SAMAmpOptimWrapper`` in ``--sam-dtype`` (float16 on
   CUDA: dynamic loss scaling is exercised) and checks that the teacher runs once per
   step, the losses are finite and the weights move (or the scaler skipped an overflow).

With ``--compile`` it also times the student compiled (``compile`` config key).
``dist-summary`` reads the ``scalars.json`` of a ``tools/dist_train.sh`` run (logged every
iteration) and prints its median iteration / data time after 5 warm-up iterations and
its peak memory. Every line of the summary
starts with ``gpu_check:``; the last one is a JSON object of all figures.
"""
import argparse
import glob
import json
import math
import os.path as osp
import statistics
import time

H200_BF16_DENSE_TFLOPS = 989.0
# Logged iterations of the dist_train run left out of its medians.
DIST_WARMUP_ITERS = 5


def step_helpers():
    """``train_step.py`` (its model builders, batches, timer), imported on first use:
    ``dist-summary`` needs neither it nor torch. It is found as a sibling: a script's
    folder comes first on the module search path."""
    import train_step
    return train_step


def register_cpu_attention_flops():
    """Count CPU flash attention like CUDA's (torch's counter only knows the CUDA kernels)."""
    import torch
    from torch.utils import flop_counter
    aten = torch.ops.aten
    registry = flop_counter.flop_registry
    if aten._scaled_dot_product_flash_attention_for_cpu not in registry:
        flop_counter.register_flop_formula(aten._scaled_dot_product_flash_attention_for_cpu)(
            lambda query, key, value, *args, out_shape=None, **kwargs:
            flop_counter.sdpa_flop_count(query, key, value))
    if aten._scaled_dot_product_flash_attention_for_cpu_backward not in registry:
        flop_counter.register_flop_formula(
            aten._scaled_dot_product_flash_attention_for_cpu_backward)(
            lambda grad_out, query, key, value, *args, out_shape=None, **kwargs:
            flop_counter.sdpa_backward_flop_count(grad_out, query, key, value))


def count_step_flops(step, batch) -> int:
    """FLOPs of one training step (see the module doc for what is counted)."""
    from torch.utils import flop_counter
    register_cpu_attention_flops()
    with flop_counter.FlopCounterMode(display=False) as counter:
        step(batch)
    return counter.get_total_flops()


def sam_amp_check(args, model, batch, sam_dtype):
    """Run SAM AMP steps on ``model``; return their figures."""
    import torch

    from deitlt_mm.registry import OPTIM_WRAPPERS
    timed = step_helpers().timed
    teacher_calls = []
    handle = model.teacher.register_forward_pre_hook(lambda *_: teacher_calls.append(1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=0.05, fused=True)
    wrapper = OPTIM_WRAPPERS.build(dict(type='SAMAmpOptimWrapper', rho=0.05, dtype=sam_dtype,
                                        optimizer=optimizer))
    results, outputs = [], {}

    def sam_step(data):
        outputs['log_vars'] = model.train_step(data['ours'](), wrapper)

    try:
        for _ in range(args.sam_steps):
            before = [p.detach().clone() for p in model.backbone.parameters()]
            calls = len(teacher_calls)
            seconds = timed(sam_step, batch, args.device)
            moved = any(not torch.equal(p, q)
                        for p, q in zip(model.backbone.parameters(), before))
            scaler = wrapper.loss_scaler
            results.append(dict(
                seconds=seconds, teacher_calls=len(teacher_calls) - calls,
                loss=outputs['log_vars']['loss'].detach().item(), moved=moved,
                scale=scaler.get_scale() if scaler.is_enabled() else None))
    finally:
        handle.remove()
    return dict(dtype=str(wrapper.cast_dtype).replace('torch.', ''), steps=results)


def run_step(args):
    import torch
    helpers = step_helpers()
    from deitlt_mm.engine.optimizers import cpu_supports_bf16
    build_ours, timed = helpers.build_ours, helpers.timed
    helpers.MMLogger.get_current_instance().setLevel('WARNING')  # no per-parameter logs
    try:
        args.arch = helpers.parse_arch(args.arch)
    except argparse.ArgumentTypeError as error:
        raise SystemExit(f'gpu_check: {error}') from None
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device_type = torch.device(args.device).type
    precision = args.precision or (
        'bf16' if device_type == 'cuda' or cpu_supports_bf16() else 'fp32')
    with helpers.DefaultScope.overwrite_default_scope('deitlt_mm'):
        template = helpers.MODELS.build(helpers.student_cfg(args))
    teacher_state = template.teacher.to(args.device).state_dict()
    batch = helpers.make_batches(args, template.data_preprocessor)
    step, model = build_ours(args, precision, False, teacher_state)
    flops = count_step_flops(step, batch)
    for _ in range(args.warmup):
        timed(step, batch, args.device)
    times = [timed(step, batch, args.device) for _ in range(args.iters)]
    seconds = statistics.median(times)
    summary = dict(
        machine=helpers.describe_machine(args), arch=args.arch, img_size=args.img_size,
        batch_size=args.batch_size, precision=precision, iters=args.iters,
        step_ms=round(seconds * 1e3, 2), img_per_s=round(args.batch_size / seconds, 1),
        gflop_per_step=round(flops / 1e9, 1),
        tflops=round(flops / seconds / 1e12, 2), peak_tflops=args.peak_tflops,
        mfu=round(flops / seconds / (args.peak_tflops * 1e12), 4))
    report(f'train step ({precision}): {summary["step_ms"]} ms median of {args.iters}, '
           f'{summary["img_per_s"]} img/s, {summary["gflop_per_step"]} GFLOP/step counted, '
           f'{summary["tflops"]} TFLOP/s, MFU {summary["mfu"] * 100:.1f} % of '
           f'{args.peak_tflops} TFLOP/s')
    if device_type == 'cuda':
        summary['max_memory_gib'] = round(torch.cuda.max_memory_allocated() / 2**30, 1)

    sam_dtype = args.sam_dtype or ('float16' if device_type == 'cuda' else 'bfloat16')
    if not args.sam_steps:
        pass
    elif device_type == 'cpu' and not cpu_supports_bf16():
        report('SAM AMP step: skipped, this CPU has no bf16 instructions')
    else:
        sam = sam_amp_check(args, model, batch, sam_dtype)
        summary['sam_amp'] = sam
        for number, result in enumerate(sam['steps'], 1):
            report(f'SAM AMP step {number} ({sam["dtype"]}): {result["seconds"] * 1e3:.0f} ms, '
                   f'teacher forward x{result["teacher_calls"]}, loss {result["loss"]:.4f}, '
                   f'weights {"moved" if result["moved"] else "unchanged (overflow skipped)"}'
                   + (f', loss scale {result["scale"]:g}' if result['scale'] else ''))
        summary['sam_amp_ok'] = all(
            r['teacher_calls'] == 1 and math.isfinite(r['loss']) for r in sam['steps']) and any(
            r['moved'] for r in sam['steps'])

    if args.compile:
        del model, step
        compiled_step, _ = build_ours(args, precision, True, teacher_state)
        start = time.perf_counter()
        timed(compiled_step, batch, args.device)
        first = time.perf_counter() - start
        for _ in range(max(args.warmup - 1, 0)):
            timed(compiled_step, batch, args.device)
        compiled = statistics.median(
            [timed(compiled_step, batch, args.device) for _ in range(args.iters)])
        summary['compile'] = dict(first_step_s=round(first, 1), step_ms=round(compiled * 1e3, 2),
                                  speedup=round(seconds / compiled, 3),
                                  mfu=round(flops / compiled / (args.peak_tflops * 1e12), 4))
        report(f'compiled student: first step {first:.0f} s, then {compiled * 1e3:.1f} ms '
               f'({seconds / compiled:.2f}x eager), MFU {summary["compile"]["mfu"] * 100:.1f} %')
    report(json.dumps(summary))
    return summary


def dist_summary(work_dir):
    """Figures of the ``tools/dist_train.sh`` run logged under ``work_dir``."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise SystemExit(f'gpu_check: no */vis_data/scalars.json under {work_dir}: did the '
                         'dist_train run start?')
    with open(files[-1], encoding='utf-8') as f:
        records = [json.loads(line) for line in f if line.strip()]
    train = [r for r in records if 'loss' in r and 'time' in r]
    if not train:
        raise SystemExit(f'gpu_check: {files[-1]} has no training iterations.')
    # The first iterations start the data workers and warm the kernels up.
    steady = train[DIST_WARMUP_ITERS:] or train
    seconds = statistics.median(r['time'] for r in steady)
    summary = dict(iters=len(train), median_of=len(steady), time_s=round(seconds, 4),
                   data_time_s=round(statistics.median(r['data_time'] for r in steady), 4),
                   loss=train[-1]['loss'])
    batch_size = dumped_batch_size(work_dir)
    if batch_size:
        summary.update(batch_size=batch_size, img_per_s=round(batch_size / seconds, 1))
    if 'memory' in train[-1]:
        summary['memory_mib'] = max(r['memory'] for r in train)
    report(f'dist_train: {summary["iters"]} iterations, median of the last '
           f'{summary["median_of"]}: {summary["time_s"]} s/iter (data {summary["data_time_s"]} s)'
           + (f', {summary["img_per_s"]} img/s' if batch_size else '')
           + f', last loss {summary["loss"]:.4f}'
           + (f', peak memory {summary["memory_mib"]} MiB' if 'memory_mib' in summary else ''))
    report(json.dumps(dict(dist_train=summary)))
    return summary


def dumped_batch_size(work_dir):
    """Per-device batch of the config mmengine saved in ``work_dir`` (None if absent)."""
    from mmengine.config import Config
    configs = glob.glob(osp.join(work_dir, '*.py'))
    if not configs:
        return None
    return Config.fromfile(configs[0]).train_dataloader.batch_size


def report(line):
    print(f'gpu_check: {line}', flush=True)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    step = commands.add_parser('step', help='throughput, MFU and a SAM AMP step')
    step.add_argument('--device', default='cuda')
    step.add_argument('--arch', default='deit-base',
                      help='deit-tiny, deit-small, deit-base (default) or DIMS,LAYERS,HEADS')
    step.add_argument('--img-size', type=int, default=224)
    step.add_argument('--patch-size', type=int, default=16)
    step.add_argument('--batch-size', type=int, default=128)
    step.add_argument('--num-classes', type=int, default=100)
    step.add_argument('--teacher-size', type=int, default=32)
    step.add_argument('--precision', choices=('fp32', 'bf16'),
                      help='default: bf16 on CUDA and on CPUs with bf16 instructions')
    step.add_argument('--iters', type=int, default=20)
    step.add_argument('--warmup', type=int, default=5)
    step.add_argument('--peak-tflops', type=float, default=H200_BF16_DENSE_TFLOPS,
                      help='peak of the device in the step precision (default: H200 dense '
                      'bf16, 989)')
    step.add_argument('--sam-steps', type=int, default=3, help='0: no SAM check')
    step.add_argument('--sam-dtype', choices=('float16', 'bfloat16'),
                      help='default: float16 on CUDA (loss scaling), bfloat16 on CPU')
    step.add_argument('--compile', action='store_true', help='also time the compiled student')
    step.add_argument('--compile-backend', default='inductor')
    step.add_argument('--threads', type=int)
    summary = commands.add_parser('dist-summary', help='figures of a dist_train.sh run')
    summary.add_argument('work_dir')
    args = parser.parse_args(argv)
    if args.command == 'step':
        for name in ('img_size', 'patch_size', 'batch_size', 'iters'):
            if getattr(args, name) < 1:
                parser.error(f'--{name.replace("_", "-")} must be >= 1')
        if args.sam_steps < 0 or args.warmup < 0:
            parser.error('--sam-steps and --warmup must be >= 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.command == 'step':
        return run_step(args)
    return dist_summary(args.work_dir)


if __name__ == '__main__':
    main()
