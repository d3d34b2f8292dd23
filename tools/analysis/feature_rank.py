"""Singular-value spectra and effective rank of the CLS / DIST features on the test set.

    python tools/analysis/feature_rank.py CONFIG CHECKPOINT --out DIR [--num-images N]

The low-rank analysis of the DeiT-LT paper (students distilled from SAM-trained
teachers have lower-rank features). Features: per test image, the CLS and DIST
tokens (the CLS token only for a baseline without DIST token) of the backbone output
(after its final LayerNorm: what the classifier sees) and after each block. For a set
of n images with features X [n, D]: the singular values of X centred (its mean
subtracted; --no-centre keeps it) and the effective rank exp(H(p)), p = s / sum(s),
H the entropy (Roy & Vetterli 2007): 1 for one direction, min(n, D) for a flat
spectrum.

Writes into DIR:
  feature_rank.json  definition, centred, num_images, class_groups, and per token
                     (cls, dist): all (every image), groups (head / mid / tail: the
                     images of the group's classes), classes (per class: index, name,
                     group, num_images) and blocks (every image, after each block),
                     each with effective_rank and singular_values (descending).
  feature_rank.png   three panels: s_k / s_1 of the head / mid / tail groups (log
                     scale; CLS solid, DIST dashed), effective rank per class (groups
                     shaded), effective rank after each block.
Groups are those of the config's test evaluator (LongTailAccuracy). Memory: all
features are kept, N x D x (blocks + 1) x tokens x 4 bytes; cap N with --num-images.
The student's teacher is not needed.
"""
import argparse

from mmengine.config import DictAction

from deitlt_mm.analysis.feature_rank import feature_rank_report
from deitlt_mm.runtime import tool_run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config of the model')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--out', required=True, help='folder for the JSON and the PNG')
    parser.add_argument('--num-images', type=int, default=0,
                        help='test images, spread evenly over the test set (default 0: all)')
    parser.add_argument('--no-centre', action='store_true',
                        help='keep each set\'s mean in the features (default: centred)')
    parser.add_argument('--title', help='figure title')
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0 (default cpu)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. test_dataloader.batch_size=64')
    args = parser.parse_args(argv)
    if args.num_images < 0:
        parser.error(f'--num-images must be >= 0, got {args.num_images}')
    return args


@tool_run()
def main(argv=None):
    args = parse_args(argv)
    paths = feature_rank_report(args.config, args.checkpoint, args.out,
                                num_images=args.num_images or None, centre=not args.no_centre,
                                cfg_options=args.cfg_options, device=args.device,
                                title=args.title)
    print(f'feature rank written to {paths["json"]} and {paths["png"]}')


if __name__ == '__main__':
    main()
