"""The CIFAR ResNet teacher in channels-last against contiguous (NCHW) memory order.

    python tools/benchmark/teacher_layout.py [--config CONFIG] [--batch-size 128]
        [--img-size 32] [--threads N] [--repeats 10]

Builds the teacher of ``--config`` (default: the paper's CIFAR-100-LT ResNet32,
``configs/teachers/resnet32_ce-drw-sam_cifar100-lt-if100.py``) twice from one state dict, with
``backbone.channels_last`` False and True, and times, interleaved with a rotating
order after ``--warmup`` untimed rounds:

* ``train step``: forward, cross-entropy, backward and an SGD step (momentum 0.9) on
  a fixed batch, BN in training mode (one pass of the teacher stage; SAM runs two);
* ``frozen forward``: the distillation teacher's forward in eval mode under
  ``torch.no_grad`` (what the student stage runs once per step).

Printed: median ms per call and the speed of channels-last relative to contiguous,
as a Markdown table, plus the largest logit difference between the two layouts.
"""
import argparse
import copy
import datetime
import os.path as osp
import time

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from train_step import (
    check_counts,
    describe_machine,
    interleaved_medians,
    load_average,
    markdown_table,
)

import deitlt_mm  # noqa: F401  registers the components
from deitlt_mm.registry import MODELS

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))

DEFAULT_CONFIG = osp.join(REPO, 'configs/teachers/resnet32_ce-drw-sam_cifar100-lt-if100.py')
LAYOUTS = {'contiguous': False, 'channels_last': True}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='a config whose model is a ResNetCifarOptionA classifier')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--img-size', type=int, default=32)
    parser.add_argument('--warmup', type=int, default=2, help='untimed rounds')
    parser.add_argument('--repeats', type=int, default=10, help='timed rounds')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch)')
    args = parser.parse_args(argv)
    check_counts(parser, args, ('batch_size', 'img_size', 'repeats'), ('warmup', ))
    return args


def build_teachers(config):
    """One classifier per layout, all with the same weights."""
    model_cfg = Config.fromfile(config).model
    if model_cfg.backbone.get('type') != 'ResNetCifarOptionA':
        raise SystemExit(f'{config}: model.backbone.type is {model_cfg.backbone.get("type")!r}; '
                         'this benchmark times ResNetCifarOptionA teachers.')
    models = {}
    with DefaultScope.overwrite_default_scope('deitlt_mm'):
        for name, channels_last in LAYOUTS.items():
            cfg = copy.deepcopy(model_cfg)
            cfg.backbone.channels_last = channels_last
            models[name] = MODELS.build(cfg)
    state = models['contiguous'].state_dict()
    for model in models.values():
        model.load_state_dict(state)
    return models


def logits(model, images):
    return model(images, mode='tensor')


def train_step(model, images, labels):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        model.train()
        loss = F.cross_entropy(logits(model, images), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return step


def frozen_forward(model, images):
    def forward():
        model.eval()
        with torch.no_grad():
            logits(model, images)
    return forward


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    MMLogger.get_current_instance().setLevel('WARNING')
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    load_before = load_average()
    models = build_teachers(args.config)
    num_classes = models['contiguous'].head.fc.out_features
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(args.batch_size, 3, args.img_size, args.img_size, generator=generator)
    labels = torch.randint(0, num_classes, (args.batch_size, ), generator=generator)
    with torch.no_grad():
        eval_logits = {name: logits(model.eval(), images) for name, model in models.items()}
    max_diff = (eval_logits['channels_last'] - eval_logits['contiguous']).abs().max().item()

    rows = []
    for task, make in (('train step', lambda m: train_step(m, images, labels)),
                       ('frozen forward', lambda m: frozen_forward(m, images))):
        medians = interleaved_medians({name: make(model) for name, model in models.items()},
                                      args.warmup, args.repeats, timed)
        rows += [[task, name, f'{seconds * 1e3:.1f}',
                  f'{medians["contiguous"] / seconds:.2f}x']
                 for name, seconds in medians.items()]
    print(f'date: {datetime.date.today().isoformat()}; machine: '
          f'{describe_machine(argparse.Namespace(device="cpu"))}; torch {torch.__version__}; '
          f'load average (1/5/15 min) before {load_before}, after {load_average()}')
    print(f'teacher: {osp.relpath(args.config, REPO)}, batch {args.batch_size}, '
          f'{args.img_size} px; {args.repeats} interleaved repeats after {args.warmup} '
          'warm-up rounds')
    print(markdown_table(['task', 'layout', 'median ms', 'speed vs contiguous'], rows))
    print(f'largest logit difference between the layouts (eval mode): {max_diff:.2e}')


if __name__ == '__main__':
    main()
