"""Plot per-class accuracy against training count from a test-results JSON.

Usage::

    python tools/analysis/plot_per_class_accuracy.py results.json per_class.png

``results.json`` is the metrics dict ``tools/test.py --out`` writes (the
``LongTailAccuracy`` keys ``long_tail/[avg|cls|dist/]per_class``,
``long_tail/class_groups`` and ``long_tail/train_class_counts``); the dict may
also sit under a top-level ``"metrics"`` key.
"""
import argparse
import json
import os.path as osp
import sys

# Runs from a checkout without installing the package, like tools/train.py.
sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
from deitlt_mm.evaluation.plot import plot_per_class_accuracy  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results', help='JSON with LongTailAccuracy per-class results')
    parser.add_argument('out', help='PNG file to write')
    parser.add_argument('--title', default=None, help='figure title')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    with open(args.results, encoding='utf-8') as f:
        results = json.load(f)
    metrics = results.get('metrics', results)
    plot_per_class_accuracy(metrics, args.out, title=args.title)
    print(f'per-class accuracy plot written to {args.out}')


if __name__ == '__main__':
    main()
