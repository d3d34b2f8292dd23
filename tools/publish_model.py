"""Publish a trained model: ``python tools/publish_model.py IN OUT``.

``IN`` is a checkpoint of ``tools/train.py`` (``epoch_*.pth``, ``best_*.pth``). Writes
``OUT-<sha256[:8]>.pth`` (``OUT`` may end in ``.pth``): the model's weights (for a
DeiT-LT student the student alone) and ``meta`` (training config text, class names,
training class counts, dataset, epoch / iteration, best validation scores), without
the optimizer state, message hub and scheduler states that only resuming needs. The
file loads in ``tools/test.py``, ``tools/infer.py`` and ``deitlt_mm.apis.init_model``
with the run's config. See docs/publish.md.
"""
import argparse
import os.path as osp

from deitlt_mm.apis import publish_checkpoint
from deitlt_mm.runtime import tool_run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', metavar='IN', help='checkpoint of tools/train.py')
    parser.add_argument('out', metavar='OUT',
                        help='output path; the sha256 prefix and .pth are appended')
    return parser.parse_args(argv)


@tool_run()
def main(argv=None):
    args = parse_args(argv)
    path = publish_checkpoint(args.src, args.out)
    print(f'published {path} ({osp.getsize(path):,} bytes; {args.src}: '
          f'{osp.getsize(args.src):,} bytes)')


if __name__ == '__main__':
    main()
