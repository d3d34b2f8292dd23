"""Mean attention distance per layer and head of a DeiT-LT student or a DeiT baseline.

    python tools/analysis/attention_distance.py CONFIG CHECKPOINT --out DIR \\
        [--num-images 500] [--compare CONFIG CHECKPOINT ...] [--names A B ...]

For every layer and head: the attention-weighted distance, in pixels of the model
input, from each patch query to the patch keys (patch centres; CLS / DIST keys left
out, the weights over patches renormalised to 1), averaged over all patch queries and
the test images: the locality analysis of the DeiT-LT paper (its student attends more
locally in early layers than a plain DeiT). Test images: --num-images spread evenly
over the config's test set (default 500, enough for a stable mean; 0 = all), through
its test pipeline.

Writes into DIR:
  attention_distance.json  per model (CONFIG CHECKPOINT, then each --compare pair):
                           config, checkpoint, input_size, patch_size, grid,
                           num_images, and per layer {layer, heads: [pixels per head],
                           mean: mean over heads}; plus the definition and unit.
  attention_distance.png   distance vs layer, one colour per model: the mean over heads
                           (line) and every head (dots).
--cfg-options apply to every config. The student's teacher is not needed.
"""
import argparse
import os.path as osp

from mmengine.config import DictAction

from deitlt_mm.analysis.attention_distance import attention_distance_report
from deitlt_mm.runtime import tool_run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config of the model')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--out', required=True, help='folder for the JSON and the PNG')
    parser.add_argument('--compare', nargs='+', default=[], metavar='CONFIG CHECKPOINT',
                        help='more models to measure, as CONFIG CHECKPOINT pairs')
    parser.add_argument('--names', nargs='+',
                        help='series names, one per model (default: the config names)')
    parser.add_argument('--num-images', type=int, default=500,
                        help='test images, spread evenly over the test set (0: all)')
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0 (default cpu)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys of every model, e.g. '
                        'test_dataloader.batch_size=64')
    args = parser.parse_args(argv)
    if len(args.compare) % 2:
        parser.error(f'--compare takes CONFIG CHECKPOINT pairs, got {len(args.compare)} '
                     'paths')
    pairs = [(args.config, args.checkpoint)] + list(zip(args.compare[::2], args.compare[1::2]))
    names = args.names or [osp.splitext(osp.basename(config))[0] for config, _ in pairs]
    if len(names) != len(pairs):
        parser.error(f'--names: {len(names)} names for {len(pairs)} models')
    if len(set(names)) != len(names):
        parser.error(f'models need distinct names, got {names}; set them with --names')
    if args.num_images < 0:
        parser.error(f'--num-images must be >= 0, got {args.num_images}')
    args.runs = [(name, config, checkpoint) for name, (config, checkpoint) in zip(names, pairs)]
    return args


@tool_run()
def main(argv=None):
    args = parse_args(argv)
    paths = attention_distance_report(args.runs, args.out, num_images=args.num_images or None,
                                      cfg_options=args.cfg_options, device=args.device)
    print(f'attention distance written to {paths["json"]} and {paths["png"]}')


if __name__ == '__main__':
    main()
