"""Plot per-class accuracy against training count from a test-results JSON.

Usage::

    python tools/analysis/plot_per_class_accuracy.py results.json per_class.png

``results.json`` is the file ``tools/test.py --out`` writes; its ``long_tail``
entry holds the structured ``LongTailAccuracy`` results (per-class accuracy of
every prediction, class groups, training counts). With several ``LongTailAccuracy``
metrics, ``--prefix`` picks one.
"""
import argparse

# Runs from a checkout without installing the package, like tools/train.py.
from deitlt_mm.evaluation import load_long_tail_results
from deitlt_mm.evaluation.plot import plot_per_class_accuracy


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results', help='JSON with LongTailAccuracy per-class results')
    parser.add_argument('out', help='PNG file to write')
    parser.add_argument('--title', default=None, help='figure title')
    parser.add_argument('--prefix', default=None,
                        help='prefix of the LongTailAccuracy to plot (default: the only one)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    by_prefix = load_long_tail_results(args.results)
    if args.prefix is None and len(by_prefix) > 1:
        raise SystemExit(f'{args.results} has several long-tail results '
                         f'{sorted(by_prefix)}: choose one with --prefix.')
    prefix = args.prefix if args.prefix is not None else next(iter(by_prefix))
    if prefix not in by_prefix:
        raise SystemExit(f'{args.results}: no long-tail results with prefix {prefix!r}; '
                         f'found {sorted(by_prefix)}.')
    plot_per_class_accuracy(by_prefix[prefix], args.out, title=args.title)
    print(f'per-class accuracy plot written to {args.out}')


if __name__ == '__main__':
    main()
