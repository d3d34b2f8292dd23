"""Check a config's data before training: ``python tools/data/check_data.py CONFIG``.

For every dataset of the config's dataloaders: list files present and parseable,
labels in range, image and class counts against the published sizes, every listed
image present and a sample decodable (ImageNet-LT, iNaturalist-2018); every CIFAR
file present with its official md5 and the long-tailed split's size. Prints one
screen of findings and exits with status 1 if any is an error. Downloads nothing.
"""
import argparse

from mmengine.config import DictAction
from mmengine.registry import init_default_scope

from deitlt_mm.datasets.data_check import check_data, format_reports
from deitlt_mm.errors import exit_on_run_error
from deitlt_mm.runtime import check_cfg_options, load_config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--decode-sample', type=int, default=100, metavar='N',
                        help='images of each list to decode (drawn at random; default 100, '
                        '0 skips decoding)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the decode sample')
    parser.add_argument('--no-progress', action='store_true', help='no progress bars')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. '
                        'train_dataloader.dataset.data_root=/data/imagenet_lt')
    return parser.parse_args(argv)


@exit_on_run_error()
def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config)
    if args.cfg_options is not None:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'deitlt_mm'))
    reports = check_data(cfg, decode_sample=args.decode_sample, progress=not args.no_progress,
                         seed=args.seed)
    print(format_reports(reports, args.config))
    if any(report.errors for report in reports):
        raise SystemExit(1)


if __name__ == '__main__':
    main()
