"""Time a SAM training step against a plain one: ``python tools/benchmark/sam_overhead.py``.

Both steps run ``model.train_step`` on the same model and the same fixed batch in
one process; only the optimizer wrapper differs (``OptimWrapper`` vs
``SAMOptimWrapper``, same base optimizer settings). After ``--warmup`` untimed
steps of each, ``--repeats`` rounds time one plain and one SAM step each
(interleaved, so drift in machine load hits both alike). Prints the median step
times and their ratio (SAM / plain; about 2 is expected: two forward/backward
passes per step). Works on CPU or, with ``--device cuda``, on a GPU.

The model is the ``model`` of ``--config`` (default: the ResNet32 CIFAR teacher);
its head must take hard labels (every teacher config does).
"""
import argparse
import os.path as osp
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.structures import DataSample
from train_step import check_counts  # this folder, as a script's

import deitlt_mm  # noqa: F401  (registers SAMOptimWrapper)
from deitlt_mm.registry import MODELS, OPTIM_WRAPPERS

DEFAULT_CONFIG = osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'configs', '_base_',
                          'models', 'resnet32_cifar.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='SAM step time / plain step time')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='config whose `model` is timed (default: ResNet32 CIFAR)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--img-size', type=int, default=32)
    parser.add_argument('--warmup', type=int, default=3, help='untimed steps of each kind')
    parser.add_argument('--repeats', type=int, default=10, help='timed steps of each kind')
    parser.add_argument('--rho', type=float, default=0.05)
    parser.add_argument('--adaptive', action='store_true', help='time ASAM')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch)')
    args = parser.parse_args(argv)
    check_counts(parser, args, ('batch_size', 'img_size', 'repeats'), ('warmup', ))
    return args


def fixed_batch(num_classes: int, batch_size: int, img_size: int) -> dict:
    """``train_step`` input: uint8-range images ``[B, 3, S, S]`` and labels."""
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randint(0, 256, (batch_size, 3, img_size, img_size), generator=generator)
    labels = torch.arange(batch_size) % num_classes
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    return dict(inputs=inputs.float(), data_samples=samples)


def timed_step(model, data, wrapper, device) -> float:
    start = time.perf_counter()
    model.train_step(data, wrapper)
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    cfg = Config.fromfile(args.config)
    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        # Weights as constructed: their values do not change the step time.
        model = MODELS.build(cfg.model).to(args.device).train()

        def sgd():
            return torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9,
                                   weight_decay=2e-4)

        plain = OPTIM_WRAPPERS.build(dict(type='OptimWrapper', optimizer=sgd()))
        sam = OPTIM_WRAPPERS.build(dict(type='SAMOptimWrapper', rho=args.rho,
                                        adaptive=args.adaptive, optimizer=sgd()))
    data = fixed_batch(cfg.model.head.num_classes, args.batch_size, args.img_size)

    for _ in range(args.warmup):
        timed_step(model, data, plain, args.device)
        timed_step(model, data, sam, args.device)
    plain_times, sam_times = [], []
    for _ in range(args.repeats):
        plain_times.append(timed_step(model, data, plain, args.device))
        sam_times.append(timed_step(model, data, sam, args.device))

    plain_median = statistics.median(plain_times)
    sam_median = statistics.median(sam_times)
    name = 'ASAM' if args.adaptive else 'SAM'
    print(f'model: {type(model.backbone).__name__} ({osp.basename(args.config)}), batch '
          f'{args.batch_size} x 3 x {args.img_size} x {args.img_size}, device {args.device}, '
          f'threads {torch.get_num_threads()}, {args.repeats} repeats after {args.warmup} '
          'warm-up steps')
    print(f'plain step: median {plain_median * 1e3:.1f} ms '
          f'(min {min(plain_times) * 1e3:.1f}, max {max(plain_times) * 1e3:.1f})')
    print(f'{name} step: median {sam_median * 1e3:.1f} ms '
          f'(min {min(sam_times) * 1e3:.1f}, max {max(sam_times) * 1e3:.1f})')
    print(f'{name} / plain step time: {sam_median / plain_median:.2f}')


if __name__ == '__main__':
    main()
