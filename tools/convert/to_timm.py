"""Export a DeiT-LT student to timm: ``python tools/convert/to_timm.py IN OUT``.

``IN``: a checkpoint of ``tools/train.py``, a file of ``tools/publish_model.py`` or a
state dict in this project's keys. ``OUT`` gets a state dict of timm's
``VisionTransformerDistilled`` at the training resolution; the printed
``timm.create_model`` call builds the model that loads it strictly. See docs/publish.md.
"""
import argparse

from deitlt_mm.apis import export_timm_checkpoint
from deitlt_mm.models.utils.timm_export import TIMM_DEIT_DISTILLED
from deitlt_mm.runtime import tool_run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('src', metavar='IN', help='student checkpoint')
    parser.add_argument('dst', metavar='OUT', help='output state dict for timm')
    parser.add_argument('--num-heads', type=int,
                        help='attention heads (default: from the config stored in IN)')
    return parser.parse_args(argv)


@tool_run()
def main(argv=None):
    args = parse_args(argv)
    kwargs = export_timm_checkpoint(args.src, args.dst, args.num_heads)
    arguments = ', '.join(f'{key}={value!r}' for key, value in kwargs.items())
    print(f'wrote {args.dst}; load it with\n'
          f'  model = timm.create_model({TIMM_DEIT_DISTILLED!r}, pretrained=False, '
          f'{arguments})\n'
          f'  model.load_state_dict(torch.load({args.dst!r}, weights_only=True))')


if __name__ == '__main__':
    main()
