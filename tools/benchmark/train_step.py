"""Our DeiT-LT train step and data pipeline against a plain reference-style loop.

    python tools/benchmark/train_step.py [--arch deit-small] [--batch-size 8] [--threads N]
        [--steps reference:fp32 ours:fp32 ours:bf16 ours:fp32+compile ...] [--repeats 10]

**Train step.** Each named step trains its own copy of the same-size model on a
fixed batch of ``--batch-size`` random images (``--img-size``), one step at a time:

* ``ours``: the student of the paper configs (``DistillClassifier`` with
  ``DistilledVisionTransformer``, ``DualHead`` / ``DRWDistillLoss``, the frozen
  ResNet32 teacher at ``--teacher-size`` px, Mixup/CutMix in the data preprocessor)
  and the student schedule's optimizer (fused AdamW through
  ``MergedGroupsOptimWrapperConstructor``) run by ``model.train_step`` on uint8
  images, as mmengine's loop does.
* ``reference``: the DeiT-LT reference's ``train_one_epoch`` body without its
  CUDA-only calls: timm ``VisionTransformerDistilled`` (distilled training),
  timm ``Mixup`` (0.8 / 1.0, switch 0.5, smoothing 0.1), the same teacher fed the
  batch resized by torchvision's ``Resize`` (bicubic, no antialias, as its 0.15 did),
  ``(1 - alpha) * SoftTargetCrossEntropy + alpha * CE(dist, argmax teacher)``, AdamW
  from timm's ``create_optimizer_v2`` (two groups, torch's default implementation),
  ``loss.item()``, ``zero_grad``. Its images come normalised (the reference normalises
  in the per-image transform).

A step is ``impl:precision[+compile]``: precision ``fp32`` or ``bf16`` (autocast;
ours through ``MixedPrecisionOptimWrapper``), ``+compile`` compiles our student
network as the ``compile`` config key does. After ``--warmup`` untimed rounds,
``--repeats`` rounds time one step of each (interleaved, order rotated per round,
so load changes hit all alike). Printed: median ms, images/s and the speed relative
to the first step (``reference:fp32`` by default), as a Markdown table.

**Data pipeline.** Per image, on the same random 32x32 RGB images (CIFAR-sized):
our student train pipeline (mmpretrain transforms of
``configs/_base_/datasets/cifar100_lt.py``, up to ``PackInputs``; normalisation and
random erasing run per batch in the data preprocessor, inside the train step, as
``ErasingClsDataPreprocessor``) against timm's
``create_transform`` with the reference's arguments (``rand-m9-mstd0.5-inc1``,
colour jitter 0.3, bicubic, random erasing 0.25 pixel; ends with ``Normalize``),
interleaved blocks of ``--pipeline-images`` images (the same images and random draws in
every block), single-threaded as in a data loader worker.
"""
import argparse
import copy
import datetime
import os
import os.path as osp
import platform
import random
import statistics
import sys
import time

import cv2
import numpy as np
import PIL
import timm
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample

import deitlt_mm  # noqa: F401  (registers the components)
from deitlt_mm.engine.optimizers import cpu_bf16_instructions, resolve_autocast_dtype
from deitlt_mm.models.backbones.distilled_vit import DistilledVisionTransformer
from deitlt_mm.registry import MODELS, TRANSFORMS
from deitlt_mm.runtime.compile_student import compile_student

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

STUDENT_CONFIG = osp.join(REPO, 'configs/_base_/models/deitlt_base_resnet32_teacher.py')
SCHEDULE_CONFIG = osp.join(REPO, 'configs/_base_/schedules/deitlt_adamw_cosine.py')
DATASET_CONFIG = osp.join(REPO, 'configs/_base_/datasets/cifar100_lt.py')
IMPLEMENTATIONS = ('ours', 'reference')
PRECISIONS = ('fp32', 'bf16')
# The reference's timm arguments (DeiT-LT arguments.py defaults).
MIXUP_ARGS = dict(mixup_alpha=0.8, cutmix_alpha=1.0, prob=1.0, switch_prob=0.5, mode='batch',
                  label_smoothing=0.1)
TRANSFORM_ARGS = dict(is_training=True, color_jitter=0.3, auto_augment='rand-m9-mstd0.5-inc1',
                      interpolation='bicubic', re_prob=0.25, re_mode='pixel', re_count=1)
ALPHA = 0.5


def parse_arch(text):
    """``deit-tiny|small|base`` or ``DIMS,LAYERS,HEADS`` -> arch dict (mlp ratio 4)."""
    if text in DistilledVisionTransformer.arch_zoo:
        return dict(DistilledVisionTransformer.arch_zoo[text])
    try:
        dims, layers, heads = (int(v) for v in text.split(','))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'--arch {text!r}: expected one of {sorted(DistilledVisionTransformer.arch_zoo)} '
            'or DIMS,LAYERS,HEADS such as 64,2,2') from None
    return dict(embed_dims=dims, num_layers=layers, num_heads=heads, mlp_ratio=4.0)


def parse_step(text):
    """``impl:precision[+compile]`` -> (impl, precision, compile)."""
    spec, plus, suffix = text.partition('+')
    impl, _, precision = spec.partition(':')
    if (impl not in IMPLEMENTATIONS or precision not in PRECISIONS
            or (plus and suffix != 'compile') or (suffix and impl != 'ours')):
        raise argparse.ArgumentTypeError(
            f'step {text!r}: expected IMPL:PRECISION[+compile] with IMPL in {IMPLEMENTATIONS}, '
            f'PRECISION in {PRECISIONS}; +compile for ours only')
    return impl, precision, bool(plus)


def step_name(step):
    impl, precision, compiled = step
    return f'{impl} {precision}' + (' + compile' if compiled else '')


def check_counts(parser, args, positive, non_negative=()):
    """Stop with argparse's error at the first option of ``positive`` below 1 or of
    ``non_negative`` below 0 (the benchmarks' counts and sizes)."""
    for names, least in ((positive, 1), (non_negative, 0)):
        for name in names:
            if getattr(args, name) < least:
                parser.error(f'--{name.replace("_", "-")} must be >= {least}, '
                             f'got {getattr(args, name)}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--arch', type=parse_arch, default='deit-small',
                        help='deit-tiny, deit-small (default), deit-base or DIMS,LAYERS,HEADS')
    parser.add_argument('--img-size', type=int, default=224)
    parser.add_argument('--patch-size', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--num-classes', type=int, default=100)
    parser.add_argument('--teacher-size', type=int, default=32)
    parser.add_argument('--steps', type=parse_step, nargs='+',
                        help='steps to time, the first is the baseline of the ratios (default: '
                        'reference:fp32 ours:fp32, plus reference:bf16 ours:bf16 where the device '
                        'has bf16)')
    parser.add_argument('--compile-backend', default='inductor',
                        help='torch.compile backend of +compile steps')
    parser.add_argument('--warmup', type=int, default=2, help='untimed rounds')
    parser.add_argument('--repeats', type=int, default=10, help='timed rounds')
    parser.add_argument('--pipeline-images', type=int, default=256,
                        help='images per timed data-pipeline block (0: skip the pipelines)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch)')
    args = parser.parse_args(argv)
    check_counts(parser, args, ('img_size', 'patch_size', 'batch_size', 'num_classes',
                                'teacher_size', 'repeats'))
    if args.warmup < 0 or args.pipeline_images < 0:
        parser.error('--warmup and --pipeline-images must be >= 0')
    if args.img_size % args.patch_size:
        parser.error(f'--img-size {args.img_size} must be a multiple of --patch-size '
                     f'{args.patch_size}')
    if args.steps is None:
        args.steps = [('reference', 'fp32', False), ('ours', 'fp32', False)]
        if has_bf16(args.device):
            args.steps += [('reference', 'bf16', False), ('ours', 'bf16', False)]
    elif any(precision == 'bf16' for _, precision, _ in args.steps):
        try:
            resolve_autocast_dtype(torch.device(args.device).type, 'bfloat16')
        except ValueError as error:
            parser.error(f'bf16 steps: {error}')
    return args


def has_bf16(device):
    try:
        resolve_autocast_dtype(torch.device(device).type, 'bfloat16')
    except ValueError:
        return False
    return True


def student_cfg(args):
    """The paper student + ResNet32 teacher config at the benchmark's size."""
    cfg = Config.fromfile(STUDENT_CONFIG).model
    # As mmengine's Runner: the dataset config's data preprocessor goes to the model.
    cfg.data_preprocessor = Config.fromfile(DATASET_CONFIG).data_preprocessor
    cfg.backbone.update(arch=args.arch, img_size=args.img_size, patch_size=args.patch_size)
    cfg.head.update(num_classes=args.num_classes, in_channels=args.arch['embed_dims'])
    cfg.teacher.head.num_classes = args.num_classes
    cfg.data_preprocessor.num_classes = args.num_classes
    cfg.teacher_size = args.teacher_size
    return cfg


def build_ours(args, precision, compiled, teacher_state):
    """(step function, model) of our student with the student schedule's optimizer."""
    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        model = MODELS.build(student_cfg(args)).to(args.device).train()
        model.teacher.load_state_dict(teacher_state)
        optim_cfg = copy.deepcopy(Config.fromfile(SCHEDULE_CONFIG).optim_wrapper)
        optim_cfg.accumulative_counts = 1  # one optimizer step per timed step, as the reference
        if precision == 'bf16':
            optim_cfg.update(type='MixedPrecisionOptimWrapper', dtype='bfloat16')
        wrapper = build_optim_wrapper(model, optim_cfg)
    if compiled:
        compile_student(model, dict(backend=args.compile_backend))

    def step(batch):
        log_vars = model.train_step(batch['ours'](), wrapper)
        return log_vars['loss'].detach().item()  # mmengine logs every loss each step

    return step, model


def build_reference(args, precision, teacher):
    """Step function of the reference-style loop (see the module doc)."""
    from timm.data import Mixup
    from timm.loss import SoftTargetCrossEntropy
    from timm.models.deit import VisionTransformerDistilled
    from timm.optim import create_optimizer_v2
    from torchvision.transforms import InterpolationMode, Resize

    arch = args.arch
    model = VisionTransformerDistilled(
        img_size=args.img_size, patch_size=args.patch_size, embed_dim=arch['embed_dims'],
        depth=arch['num_layers'], num_heads=arch['num_heads'], mlp_ratio=arch['mlp_ratio'],
        num_classes=args.num_classes, drop_path_rate=0.1).to(args.device).train()
    model.set_distilled_training(True)
    optimizer = create_optimizer_v2(model, opt='adamw', lr=5e-4, weight_decay=0.05, eps=1e-8)
    mixup = Mixup(num_classes=args.num_classes, **MIXUP_ARGS)
    criterion = SoftTargetCrossEntropy()
    # The reference's torchvision 0.15 did not antialias tensors (newer versions do).
    resize = Resize(args.teacher_size, interpolation=InterpolationMode.BICUBIC, antialias=False)
    device_type = torch.device(args.device).type

    def step(batch):
        samples, targets = mixup(*batch['reference']())
        samples_teacher = resize(samples) if args.img_size != args.teacher_size else samples
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=precision == 'bf16'):
            outputs, outputs_dist = model(samples)
            base_loss = criterion(outputs, targets)
            with torch.no_grad():
                teacher_logits = teacher(samples_teacher, mode='tensor')
            dist_loss = F.cross_entropy(outputs_dist, teacher_logits.argmax(dim=1))
            loss = base_loss * (1 - ALPHA) + dist_loss * ALPHA
        loss_value = loss.item()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return loss_value

    return step


def make_batches(args, data_preprocessor):
    """Fresh-batch factories (the augments work in place): uint8 for ours, normalised
    float for the reference (normalised as our preprocessor does, outside the timer)."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (args.batch_size, 3, args.img_size, args.img_size),
                           generator=generator, dtype=torch.uint8)
    labels = torch.arange(args.batch_size) % args.num_classes
    mean = data_preprocessor.mean.cpu()
    std = data_preprocessor.std.cpu()
    normalised = ((images.float() - mean) / std).to(args.device)
    device_images = images.to(args.device)
    device_labels = labels.to(args.device)

    def ours():
        return dict(inputs=list(device_images),
                    data_samples=[DataSample().set_gt_label(int(y)) for y in labels])

    def reference():
        return normalised.clone(), device_labels

    return dict(ours=ours, reference=reference)


def timed(step, batch, device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    step(batch)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def interleaved_medians(functions, warmup, repeats, run):
    """Median seconds of each function, timed in rounds with a rotating order."""
    names = list(functions)
    times = {name: [] for name in names}
    for round_index in range(warmup + repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            seconds = run(functions[name])
            if round_index >= warmup:
                times[name].append(seconds)
    return {name: statistics.median(values) for name, values in times.items()}


def benchmark_steps(args):
    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        template = MODELS.build(student_cfg(args))
    teacher = template.teacher.to(args.device)
    batch = make_batches(args, template.data_preprocessor)
    steps = {}
    for step in args.steps:
        impl, precision, compiled = step
        if impl == 'ours':
            steps[step_name(step)] = build_ours(args, precision, compiled,
                                                teacher.state_dict())[0]
        else:
            steps[step_name(step)] = build_reference(args, precision, teacher)
    medians = interleaved_medians(steps, args.warmup, args.repeats,
                                  lambda step: timed(step, batch, args.device))
    params = sum(p.numel() for p in template.parameters()) / 1e6
    return medians, params


def benchmark_pipelines(args):
    """Median seconds per image of our train pipeline and of timm's transform, and how
    many images timm's transform raised on."""
    from PIL import Image
    from timm.data import create_transform

    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        pipeline_cfg = copy.deepcopy(Config.fromfile(DATASET_CONFIG).train_pipeline)
        pipeline_cfg[0]['scale'] = args.img_size  # RandomResizedCrop
        ours = [TRANSFORMS.build(t) for t in pipeline_cfg]
    timm_transform = create_transform(input_size=args.img_size, **TRANSFORM_ARGS)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
              for _ in range(args.pipeline_images)]
    pil_images = [Image.fromarray(img) for img in images]

    def run_ours():
        for img in images:
            results = dict(img=img.copy(), img_shape=(32, 32), ori_shape=(32, 32), gt_label=0)
            for transform in ours:
                results = transform(results)

    timm_failures = []

    def run_timm():
        for img in pil_images:
            try:
                timm_transform(img)
            except ValueError:
                # timm's increasing Posterize asks Pillow for 0 bits at top magnitude,
                # which Pillow 13 refuses (9.5 did not); the reference's loader would stop.
                timm_failures.append(1)

    def per_image(function):
        # The same random draws in every round: each round of a pipeline does the same
        # work (which RandAugment operations, which crops), so rounds differ only by the
        # machine's noise, which the interleaving spreads over both pipelines.
        random.seed(0)
        np.random.seed(0)
        torch.manual_seed(0)
        start = time.perf_counter()
        function()
        return (time.perf_counter() - start) / len(images)

    # As in a DataLoader worker (both set-ups load data in workers): torch and OpenCV
    # single-threaded (torch sets 1 thread per worker, mmengine's env_cfg OpenCV's 0).
    threads, cv2_threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)
    cv2.setNumThreads(0)
    try:
        medians = interleaved_medians({'timm create_transform (reference)': run_timm,
                                       'ours (mmpretrain pipeline)': run_ours},
                                      args.warmup, args.repeats, per_image)
    finally:
        torch.set_num_threads(threads)
        cv2.setNumThreads(cv2_threads)
    return medians, len(timm_failures)


def cpu_name():
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(args):
    device = args.device
    if device.startswith('cuda'):
        return f'{torch.cuda.get_device_name(torch.device(device))}'
    bf16 = ', '.join(cpu_bf16_instructions()) or 'none'
    return (f'{cpu_name()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, '
            f'bf16 instructions: {bf16}')


def load_average():
    return ' '.join(f'{v:.1f}' for v in os.getloadavg()) if hasattr(os, 'getloadavg') else '-'


def markdown_table(header, rows):
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(str(cell) for cell in row) + ' |' for row in rows]
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    MMLogger.get_current_instance().setLevel('WARNING')  # no per-parameter build logs
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    load_before = load_average()
    medians, params = benchmark_steps(args)
    arch = args.arch
    print(f'date: {datetime.date.today().isoformat()}; machine: {describe_machine(args)}; '
          f'torch {torch.__version__}, timm {timm.__version__}; load average (1/5/15 min) '
          f'before {load_before}, after {load_average()}')
    print(f'train step: distilled ViT {arch["embed_dims"]}-d x {arch["num_layers"]} blocks x '
          f'{arch["num_heads"]} heads ({params:.3g}M parameters), {args.img_size} px, patch '
          f'{args.patch_size}, batch {args.batch_size}, {args.num_classes} classes, ResNet32 '
          f'teacher at {args.teacher_size} px, Mixup/CutMix, AdamW; device {args.device}; '
          f'{args.repeats} interleaved repeats after {args.warmup} warm-up rounds')
    baseline_name = step_name(args.steps[0])
    baseline = medians[baseline_name]
    print(markdown_table(
        ['step', 'median ms', 'img/s', f'speed vs {baseline_name}'],
        [[name, f'{seconds * 1e3:.1f}', f'{args.batch_size / seconds:.1f}',
          f'{baseline / seconds:.2f}x'] for name, seconds in medians.items()]))
    ours = {name: seconds for name, seconds in medians.items() if name.startswith('ours')}
    if ours and baseline_name.startswith('reference'):
        fastest = min(ours, key=ours.get)
        print(f'fastest of ours: {fastest}, {baseline / ours[fastest]:.2f}x {baseline_name}')
    sys.stdout.flush()
    if not args.pipeline_images:
        return
    pipelines, timm_failures = benchmark_pipelines(args)
    timm_name = next(iter(pipelines))
    print(f'\ndata pipeline: 32x32 RGB -> {args.img_size} px train transform, per image, '
          f'one thread (as a loader worker), {args.repeats} interleaved blocks of '
          f'{args.pipeline_images} images; load average after {load_average()}')
    print(markdown_table(
        ['pipeline', 'median ms / image', f'speed vs {timm_name.split(" (")[0]}'],
        [[name, f'{seconds * 1e3:.2f}', f'{pipelines[timm_name] / seconds:.2f}x']
         for name, seconds in pipelines.items()]))
    if timm_failures:
        print(f'timm create_transform raised on {timm_failures} of '
              f'{(args.warmup + args.repeats) * args.pipeline_images} images (Posterize to 0 '
              f'bits, refused by Pillow {PIL.__version__}); those images are timed up to the '
              'error')


if __name__ == '__main__':
    main()
