"""Time our ``DistilledVisionTransformer`` against timm's ``VisionTransformerDistilled``.

``python tools/benchmark/vit_backbone.py [--setting deit-s-224 tiny-32] [--threads 1]``

Both models get the same weights (timm's state dict loaded into ours, so their outputs
are checked equal first) and the same fixed batch. For each setting and precision
(fp32, bf16 autocast) the script times a training step (forward of both token heads,
cross entropy on each, backward) and an inference forward (``torch.inference_mode``,
eval mode). After ``--warmup`` untimed steps of each, ``--repeats`` rounds time one
step of each model in turn (interleaved, so drift in machine load hits both alike).
Prints the median step time of each and the median over rounds of the paired ratio
ours / timm with its quartiles (below 1: ours is faster); the pairs are adjacent in
time, so load that changes between rounds cancels.

Settings: ``deit-s-224`` = DeiT-S/16 at 224 px, batch 8, drop path 0.1;
``tiny-32`` = the demo student (64-d, 4 blocks, 2 heads, MLP ratio 2, patch 4,
32 px), batch 128, no drop path; ``deit-b-224`` = DeiT-B/16 at 224 px, batch 8,
drop path 0.1 (the paper's student).
"""
import argparse
import statistics
import time
from contextlib import nullcontext

import torch
import torch.nn as nn
import torch.nn.functional as F
from timm.models.deit import VisionTransformerDistilled

from deitlt_mm.models.backbones import DistilledVisionTransformer

SETTINGS = {
    'deit-s-224': dict(embed_dims=384, num_layers=12, num_heads=6, mlp_ratio=4.0,
                       img_size=224, patch_size=16, batch=8, drop_path_rate=0.1),
    'deit-b-224': dict(embed_dims=768, num_layers=12, num_heads=12, mlp_ratio=4.0,
                       img_size=224, patch_size=16, batch=8, drop_path_rate=0.1),
    'tiny-32': dict(embed_dims=64, num_layers=4, num_heads=2, mlp_ratio=2.0,
                    img_size=32, patch_size=4, batch=128, drop_path_rate=0.0),
}
NUM_CLASSES = 100


class OursWithHeads(nn.Module):
    """Our backbone + the two token classifiers, as timm's model has them."""

    def __init__(self, setting: dict):
        super().__init__()
        arch = {k: setting[k] for k in ('embed_dims', 'num_layers', 'num_heads', 'mlp_ratio')}
        self.backbone = DistilledVisionTransformer(
            arch=arch, img_size=setting['img_size'], patch_size=setting['patch_size'],
            drop_path_rate=setting['drop_path_rate'])
        self.head = nn.Linear(setting['embed_dims'], NUM_CLASSES)
        self.head_dist = nn.Linear(setting['embed_dims'], NUM_CLASSES)

    def forward(self, images):
        cls_feat, dist_feat = self.backbone(images)
        return self.head(cls_feat), self.head_dist(dist_feat)


class TimmTokenLogits(nn.Module):
    """timm's model returning ``(cls logits, dist logits)`` in train and eval mode."""

    def __init__(self, setting: dict):
        super().__init__()
        self.model = VisionTransformerDistilled(
            img_size=setting['img_size'], patch_size=setting['patch_size'],
            embed_dim=setting['embed_dims'], depth=setting['num_layers'],
            num_heads=setting['num_heads'], mlp_ratio=setting['mlp_ratio'],
            num_classes=NUM_CLASSES, drop_path_rate=setting['drop_path_rate'])

    def forward(self, images):
        features = self.model.forward_features(images)
        return self.model.head(features[:, 0]), self.model.head_dist(features[:, 1])


def build_pair(setting: dict):
    timm_model = TimmTokenLogits(setting)
    ours = OursWithHeads(setting)
    state = timm_model.model.state_dict()
    ours.load_state_dict({('' if k.startswith('head') else 'backbone.') + k: v
                          for k, v in state.items()})
    return ours, timm_model


def check_equal(ours, timm_model, images) -> float:
    ours.eval()
    timm_model.eval()
    with torch.inference_mode():
        diffs = [(a - b).abs().max().item() for a, b in zip(ours(images), timm_model(images))]
    return max(diffs)


def train_step(model, images, labels, precision) -> float:
    model.train()
    context = torch.autocast('cpu', dtype=torch.bfloat16) if precision == 'bf16' \
        else nullcontext()
    start = time.perf_counter()
    with context:
        cls_logits, dist_logits = model(images)
        loss = F.cross_entropy(cls_logits.float(), labels) + \
            F.cross_entropy(dist_logits.float(), labels)
    loss.backward()
    elapsed = time.perf_counter() - start
    model.zero_grad(set_to_none=True)
    return elapsed


def inference_step(model, images, labels, precision) -> float:
    model.eval()
    context = torch.autocast('cpu', dtype=torch.bfloat16) if precision == 'bf16' \
        else nullcontext()
    start = time.perf_counter()
    with torch.inference_mode(), context:
        model(images)
    return time.perf_counter() - start


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--setting', nargs='+', choices=sorted(SETTINGS),
                        default=['deit-s-224', 'tiny-32'])
    parser.add_argument('--precision', nargs='+', choices=['fp32', 'bf16'],
                        default=['fp32', 'bf16'])
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps of each kind')
    parser.add_argument('--repeats', type=int, default=7, help='timed rounds')
    parser.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0 or args.threads < 1:
        parser.error('--repeats and --threads must be >= 1, --warmup >= 0')
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f'torch {torch.__version__}, {args.threads} thread(s), {args.repeats} interleaved '
          f'rounds after {args.warmup} warmup steps; median seconds per step, ratio ours / '
          'timm: median of the rounds [quartiles]')
    print(f'{"setting":<11} {"precision":<9} {"step":<6} {"ours":>8} {"timm":>8} '
          f'{"ours/timm":>9} {"quartiles":>13}')
    for name in args.setting:
        setting = SETTINGS[name]
        ours, timm_model = build_pair(setting)
        generator = torch.Generator().manual_seed(0)
        images = torch.randn(setting['batch'], 3, setting['img_size'], setting['img_size'],
                             generator=generator)
        labels = torch.arange(setting['batch']) % NUM_CLASSES
        print(f'{name}: max |ours - timm| logits, eval fp32: '
              f'{check_equal(ours, timm_model, images):.2e}')
        for precision in args.precision:
            for step_name, step in (('train', train_step), ('infer', inference_step)):
                times = {'ours': [], 'timm': []}
                for round_index in range(args.warmup + args.repeats):
                    for label, model in (('ours', ours), ('timm', timm_model)):
                        elapsed = step(model, images, labels, precision)
                        if round_index >= args.warmup:
                            times[label].append(elapsed)
                ratios = [a / b for a, b in zip(times['ours'], times['timm'])]
                low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 \
                    else (ratios[0], None, ratios[0])
                print(f'{name:<11} {precision:<9} {step_name:<6} '
                      f'{statistics.median(times["ours"]):8.4f} '
                      f'{statistics.median(times["timm"]):8.4f} '
                      f'{statistics.median(ratios):9.3f} [{low:.3f}, {high:.3f}]', flush=True)

if __name__ == '__main__':
    main()
