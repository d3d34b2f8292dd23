"""Convert a published PaCo teacher checkpoint to ``ImageClassifier`` keys.

    python tools/convert/paco_teacher.py SRC.pth.tar DST.pth

Keeps the query encoder (``backbone.*``) and the classifier (``head.fc.*``), drops
the MoCo key encoder, queues and projection MLP; works for the CIFAR ResNet32
(``ResNetCifarOptionA``) and the ImageNet-LT / iNat ResNet50 (mmpretrain ``ResNet``).
"""
import argparse

from deitlt_mm.models.utils import (
    convert_paco_teacher,
    extract_state_dict,
    load_checkpoint_file,
    save_state_dict_atomically,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='published PaCo checkpoint (*.pth.tar)')
    parser.add_argument('dst', help='output file')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    state_dict = extract_state_dict(load_checkpoint_file(args.src), args.src)
    converted = convert_paco_teacher(state_dict)
    save_state_dict_atomically(converted, args.dst)
    print(f'Wrote {len(converted)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
