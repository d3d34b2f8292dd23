"""Write a config's class map file: ``python tools/data/save_class_map.py CONFIG``.

The ImageNet-LT / iNaturalist-2018 student configs distil from published teachers
that predict the original labels; the teacher's classifier is re-ordered at build
time with the class map file that the datasets load too. The model is built before
any dataset, so write the file once, before the first run: this computes the map
from the training list (frequency order, numpy-1.24 ties) and writes it where the
training dataset loads it (``data_root/class_map_file``) or to ``--out``. An
existing identical file is left alone; a different one is refused.
"""
import argparse

from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from deitlt_mm.datasets.class_map_file import (
    check_teacher_class_map,
    dataset_class_map_path,
    save_dataset_class_map,
)
from deitlt_mm.runtime import quiet_console


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--out', help='write here instead of the training dataset\'s '
                        'data_root/class_map_file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. '
                        'train_dataloader.dataset.data_root=/data/imagenet_lt')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    quiet_console(MMLogger.get_current_instance())  # no init reports for a one-line job
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'deitlt_mm'))
    dataset_cfg = cfg.train_dataloader.dataset
    path = args.out
    if path is None:
        check_teacher_class_map(cfg)
        path = dataset_class_map_path(dataset_cfg)
        if path is None:
            raise SystemExit(f'{args.config}: train_dataloader.dataset has no class_map_file; '
                             'set it (relative to data_root) or pass --out PATH.')
    if save_dataset_class_map(dataset_cfg, path):
        print(f'class map written to {path}')
    else:
        print(f'{path} already holds this class map; left as it is')


if __name__ == '__main__':
    main()
