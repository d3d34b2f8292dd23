"""Python part of ``tools/benchmark/gpu_check.sh``: step throughput, MFU, a SAM AMP step.

    python tools/benchmark/gpu_check.py step [--device cuda] [--arch deit-base]
        [--batch-size 128] [--iters 20] [--peak-tflops 989] [--compile]
    python tools/benchmark/gpu_check.py dist-summary WORK_DIR [--label NAME]
    python tools/benchmark/gpu_check.py device-info [--device cuda]
    python tools/benchmark/gpu_check.py precision-summary BF16_LOG FP32_LOG TF32_LOG
    python tools/benchmark/gpu_check.py resume-summary WORK_DIR
    python tools/benchmark/gpu_check.py val [--device cuda] [--batches 20] ...

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
``--precision fp32`` times the step in float32 with TF32 off (torch's default for
matmuls; cuDNN's switched off too), ``--precision tf32`` in float32 with TF32 on
(:func:`enable_tf32`); ``precision-summary`` reads the three logs and prints the
speed-up of bf16 over both.
``device-info`` prints the GPU's name, compute capability and the autocast dtype
``choose_autocast_dtype`` picks for it. ``resume-summary`` checks that the second of two
``tools/train.py`` runs in WORK_DIR (``--resume``) continued from the first's last epoch.
``val`` times a validation pass of the student (eval forward with its teacher,
``LongTailAccuracy``) on synthetic batches, per sample, in float32 as mmengine's
``ValLoop`` runs it (TF32 on CUDA, as a mixed-precision training run leaves it).
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
import re
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
    if precision != 'bf16':
        set_tf32(precision == 'tf32')
    with helpers.DefaultScope.overwrite_default_scope('deitlt_mm'):
        template = helpers.MODELS.build(helpers.student_cfg(args))
    teacher_state = template.teacher.to(args.device).state_dict()
    batch = helpers.make_batches(args, template.data_preprocessor)
    # tf32 is a float32 model; only the matmul / convolution flags differ.
    build_precision = 'fp32' if precision == 'tf32' else precision
    step, model = build_ours(args, build_precision, False, teacher_state)
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
    if args.sam_steps and device_type == 'cpu' and not cpu_supports_bf16():
        report('SAM AMP step: skipped, this CPU has no bf16 instructions')
    elif args.sam_steps:
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
        compiled_step, _ = build_ours(args, build_precision, True, teacher_state)
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


def dist_summary(work_dir, label='dist_train'):
    """Figures of the ``tools/dist_train.sh`` run logged under ``work_dir``, reported
    under ``label``."""
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
    report(f'{label}: {summary["iters"]} iterations, median of the last '
           f'{summary["median_of"]}: {summary["time_s"]} s/iter (data {summary["data_time_s"]} s)'
           + (f', {summary["img_per_s"]} img/s' if batch_size else '')
           + f', last loss {summary["loss"]:.4f}'
           + (f', peak memory {summary["memory_mib"]} MiB' if 'memory_mib' in summary else ''))
    report(json.dumps({label: summary}))
    return summary


def dumped_batch_size(work_dir):
    """Per-device batch of the config mmengine saved in ``work_dir`` (None if absent)."""
    from mmengine.config import Config
    configs = glob.glob(osp.join(work_dir, '*.py'))
    if not configs:
        return None
    return Config.fromfile(configs[0]).train_dataloader.batch_size


def set_tf32(enabled):
    """TF32 for float32 matmuls and cuDNN convolutions on (``enable_tf32``) or off."""
    import torch

    from deitlt_mm.engine.optimizers import enable_tf32
    if enabled:
        enable_tf32()
    else:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def device_info(device):
    """Name, compute capability and autocast dtype of ``device``; the figures as a dict."""
    import torch

    from deitlt_mm.engine.optimizers import choose_autocast_dtype, cpu_bf16_instructions
    device = torch.device(device)
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise SystemExit('gpu_check: --device cuda, but torch sees no CUDA device '
                             f'(torch {torch.__version__}, CUDA build {torch.version.cuda}).')
        name = torch.cuda.get_device_name(device)
        capability = '.'.join(map(str, torch.cuda.get_device_capability(device)))
        dtype = str(choose_autocast_dtype(device)).replace('torch.', '')
        info = dict(name=name, compute_capability=capability, autocast=dtype,
                    loss_scaling=dtype == 'float16', gpus=torch.cuda.device_count())
        report(f'device: {name}, compute capability {capability}, {info["gpus"]} GPU(s) '
               f'visible; autocast {dtype} (choose_autocast_dtype)'
               + (', dynamic loss scaling' if info['loss_scaling'] else ', no loss scaling'))
    else:
        instructions = cpu_bf16_instructions()
        dtype = 'bfloat16' if instructions else None
        info = dict(name=device.type, autocast=dtype, bf16_instructions=instructions)
        report(f'device: {device.type}; autocast '
               + (f'bfloat16 with --amp ({", ".join(instructions)})' if dtype else
                  'none: no bf16 instructions, float32'))
    return info


def last_json_line(path):
    """The last ``gpu_check: {...}`` line of the log at ``path`` as a dict (None: none)."""
    try:
        with open(path, encoding='utf-8') as f:
            lines = [line[len('gpu_check: '):] for line in f if line.startswith('gpu_check: {')]
    except OSError:
        return None
    return json.loads(lines[-1]) if lines else None


def precision_summary(bf16_log, fp32_log, tf32_log):
    """Step times of the three precisions' logs and the speed-up of bf16 over the others."""
    runs = {name: last_json_line(path) for name, path in
            (('bf16', bf16_log), ('fp32', fp32_log), ('fp32 + TF32', tf32_log))}
    missing = [name for name, run in runs.items() if run is None]
    if missing:
        report(f'precision comparison: no step figures for {", ".join(missing)} (that part '
               'failed or was skipped: see its log)')
    if runs['bf16'] is None:
        return None
    bf16_ms = runs['bf16']['step_ms']
    summary = dict(bf16_ms=bf16_ms)
    speedups = []
    for name in ('fp32', 'fp32 + TF32'):
        if runs[name] is not None:
            ms = runs[name]['step_ms']
            key = name.replace(' + ', '_').lower()
            summary[f'{key}_ms'] = ms
            summary[f'speedup_over_{key}'] = round(ms / bf16_ms, 2)
            speedups.append(f'{ms / bf16_ms:.2f}x faster than {name} ({ms} ms)')
    if speedups:
        report(f'bf16 step ({bf16_ms} ms): ' + ', '.join(speedups))
    report(json.dumps(dict(precision=summary)))
    return summary


TRAIN_EPOCH = re.compile(r'Epoch\(train\)\s*\[(\d+)\]')
RESUMED = re.compile(r'resumed epoch: (\d+), iter: (\d+)')


def resume_summary(work_dir):
    """Did the second ``tools/train.py`` run in ``work_dir`` continue the first?

    Reads the two runs' logs (``WORK_DIR/<timestamp>/<timestamp>.log``, oldest first):
    the second must say ``resumed epoch: E`` with E the first run's last logged epoch and
    log only later epochs, from E + 1 on.
    """
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.log')))
    if len(logs) < 2:
        raise SystemExit(f'gpu_check: resume: {len(logs)} run log(s) under {work_dir}, '
                         'expected two (the first run and its --resume).')
    epochs, resumed = [], None
    for path in (logs[-2], logs[-1]):
        with open(path, encoding='utf-8') as f:
            text = f.read()
        epochs.append(sorted({int(e) for e in TRAIN_EPOCH.findall(text)}))
        found = RESUMED.search(text)
        if path == logs[-1] and found:
            resumed = tuple(int(n) for n in found.groups())
    first, second = epochs
    continued = bool(first and second and resumed and resumed[0] == first[-1]
                     and second[0] == first[-1] + 1)
    report(f'resume: first run trained epoch(s) {first}; '
           + (f'resumed at epoch {resumed[0]}, iteration {resumed[1]}; ' if resumed else
              'no "resumed epoch" line; ')
           + f'second run trained epoch(s) {second}: '
           + ('continued' if continued else 'did NOT continue'))
    summary = dict(first_epochs=first, second_epochs=second, resumed=resumed,
                   continued=continued)
    report(json.dumps(dict(resume=summary)))
    return summary


def run_val(args):
    """Time a validation pass of the student on synthetic batches, per sample."""
    import torch
    from mmengine.evaluator import Evaluator
    from mmpretrain.structures import DataSample
    helpers = step_helpers()
    helpers.MMLogger.get_current_instance().setLevel('WARNING')
    try:
        args.arch = helpers.parse_arch(args.arch)
    except argparse.ArgumentTypeError as error:
        raise SystemExit(f'gpu_check: {error}') from None
    if torch.device(args.device).type == 'cuda':
        set_tf32(True)  # as a mixed-precision training run leaves it
    with helpers.DefaultScope.overwrite_default_scope('deitlt_mm'):
        model = helpers.MODELS.build(helpers.student_cfg(args)).to(args.device).eval()
        evaluator = Evaluator(dict(type='LongTailAccuracy', split='index',
                                   cut_points=[args.num_classes // 3,
                                               2 * args.num_classes // 3]))
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (args.batch_size, 3, args.img_size, args.img_size),
                           generator=generator, dtype=torch.uint8)
    labels = (torch.arange(args.batch_size) % args.num_classes).tolist()

    def batch():
        return dict(inputs=images, data_samples=[DataSample().set_gt_label(y) for y in labels])

    def validate(batches):
        model_seconds = metric_seconds = 0.0
        for _ in range(batches):
            data = batch()
            model_seconds += helpers.timed(
                lambda d: d.update(outputs=model.val_step(d)), data, args.device)
            metric_seconds += helpers.timed(
                lambda d: evaluator.process(data_samples=d['outputs'], data_batch=d), data,
                args.device)
        start = time.perf_counter()
        metrics = evaluator.evaluate(batches * args.batch_size)
        return model_seconds, metric_seconds + time.perf_counter() - start, metrics

    if args.warmup:
        validate(args.warmup)  # kernel selection; its results are evaluated and dropped
    model_seconds, metric_seconds, metrics = validate(args.batches)
    samples = args.batches * args.batch_size
    summary = dict(samples=samples, batch_size=args.batch_size,
                   ms_per_sample=round((model_seconds + metric_seconds) * 1e3 / samples, 4),
                   model_ms_per_sample=round(model_seconds * 1e3 / samples, 4),
                   metric_ms_per_sample=round(metric_seconds * 1e3 / samples, 4),
                   top1=metrics['long_tail/avg/top1'])
    report(f'validation: {samples} samples in batches of {args.batch_size}, '
           f'{summary["ms_per_sample"]} ms/sample (model and teacher '
           f'{summary["model_ms_per_sample"]}, LongTailAccuracy '
           f'{summary["metric_ms_per_sample"]}), top-1 {summary["top1"]:.2f} % '
           '(random weights)')
    report(json.dumps(dict(validation=summary)))
    return summary


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
    step.add_argument('--precision', choices=('fp32', 'tf32', 'bf16'),
                      help='default: bf16 on CUDA and on CPUs with bf16 instructions; fp32: '
                      'TF32 off, tf32: float32 with TF32 matmuls and convolutions')
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
    summary.add_argument('--label', default='dist_train', help='name in the summary lines')
    info = commands.add_parser('device-info', help='GPU name, capability, autocast dtype')
    info.add_argument('--device', default='cuda')
    precision = commands.add_parser('precision-summary',
                                    help='bf16 speed-up over fp32 from the step logs')
    precision.add_argument('bf16_log')
    precision.add_argument('fp32_log')
    precision.add_argument('tf32_log')
    resume = commands.add_parser('resume-summary',
                                 help='did the --resume run continue the first?')
    resume.add_argument('work_dir')
    val = commands.add_parser('val', help='validation pass timed per sample')
    val.add_argument('--device', default='cuda')
    val.add_argument('--arch', default='deit-base',
                     help='deit-tiny, deit-small, deit-base (default) or DIMS,LAYERS,HEADS')
    val.add_argument('--img-size', type=int, default=224)
    val.add_argument('--patch-size', type=int, default=16)
    val.add_argument('--batch-size', type=int, default=256)
    val.add_argument('--batches', type=int, default=20)
    val.add_argument('--warmup', type=int, default=2)
    val.add_argument('--num-classes', type=int, default=1000)
    val.add_argument('--teacher-size', type=int, default=32)
    args = parser.parse_args(argv)
    if args.command == 'step':
        for name in ('img_size', 'patch_size', 'batch_size', 'iters'):
            if getattr(args, name) < 1:
                parser.error(f'--{name.replace("_", "-")} must be >= 1')
        if args.sam_steps < 0 or args.warmup < 0:
            parser.error('--sam-steps and --warmup must be >= 0')
    if args.command == 'val':
        for name in ('img_size', 'patch_size', 'batch_size', 'batches', 'num_classes'):
            if getattr(args, name) < 1:
                parser.error(f'--{name.replace("_", "-")} must be >= 1')
        if args.warmup < 0:
            parser.error('--warmup must be >= 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    commands = {
        'step': lambda: run_step(args),
        'dist-summary': lambda: dist_summary(args.work_dir, args.label),
        'device-info': lambda: device_info(args.device),
        'precision-summary': lambda: precision_summary(args.bf16_log, args.fp32_log,
                                                       args.tf32_log),
        'resume-summary': lambda: resume_summary(args.work_dir),
        'val': lambda: run_val(args),
    }
    return commands[args.command]()


if __name__ == '__main__':
    main()
