"""Convert a published DeiT-LT student checkpoint to this project's model keys.

    python tools/convert/deitlt_student.py SRC.pth DST.pth

Reads ``SRC['model']`` (timm ``VisionTransformerDistilled`` layout) safely and
writes ``{'state_dict': ...}`` with ``DistillClassifier`` keys (``backbone.*``,
``head.head.*``, ``head.head_dist.*``), loadable by ``load_from``.
"""
import argparse

from deitlt_mm.models.utils import (
    convert_deit_student,
    extract_state_dict,
    load_checkpoint_file,
    save_state_dict_atomically,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='published student checkpoint (*_best_checkpoint.pth)')
    parser.add_argument('dst', help='output file')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    state_dict = extract_state_dict(load_checkpoint_file(args.src), args.src)
    converted = convert_deit_student(state_dict)
    save_state_dict_atomically(converted, args.dst)
    print(f'Wrote {len(converted)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
