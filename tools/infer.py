"""Top-k predictions of a checkpoint on image files.

    python tools/infer.py CONFIG CHECKPOINT IMAGE_OR_DIR... [--topk 5] [--out preds.json]

Prints, per image, its path and one line per prediction of the model, each with the
top-k classes by name (index when the checkpoint and dataset carry no names) and
their softmax scores in %: for a DeiT-LT student CLS, DIST and AVG (softmax of the
averaged CLS / DIST logits, the student's prediction); for a plain classifier (the
no-distillation baseline, a teacher) PRED. Folders are read non-recursively. Files are
read like the items of the config's test set (Fashion-MNIST: grey, CIFAR: RGB,
file-based sets: their loading transform) and go through its test pipeline. The
student's teacher is not needed. CHECKPOINT may be a student of the reference code as
published (converted while loading) or an http(s):// address. --out also writes the
results as JSON (per image: path and predictions). From Python: deitlt_mm.apis.DeiTLTInferencer.
"""
import argparse
import os
import os.path as osp

from mmengine.config import DictAction

from deitlt_mm.apis import DeiTLTInferencer, format_predictions
from deitlt_mm.errors import ConfigValueError
from deitlt_mm.fileio import check_writable, dump_json_atomic, resolve_checkpoint_path
from deitlt_mm.runtime import tool_run

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp', '.pgm', '.ppm')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config of the model')
    parser.add_argument('checkpoint', help='its checkpoint (file or http(s):// address)')
    parser.add_argument('images', nargs='+', metavar='IMAGE_OR_DIR',
                        help='image files, or folders of images')
    parser.add_argument('--topk', type=int, default=5, help='classes per prediction')
    parser.add_argument('--batch-size', type=int, default=16, help='images per forward pass')
    parser.add_argument('--out', help='also write the predictions to this JSON file')
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0 (default cpu)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys')
    args = parser.parse_args(argv)
    if args.topk < 1:
        parser.error(f'--topk must be >= 1, got {args.topk}')
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def image_files(paths):
    """Files as given, folders expanded to their image files (sorted)."""
    files = []
    for path in paths:
        if osp.isdir(path):
            inside = sorted(osp.join(path, name) for name in os.listdir(path)
                            if name.lower().endswith(IMAGE_SUFFIXES))
            if not inside:
                raise ConfigValueError(f'{path}: no image files ({", ".join(IMAGE_SUFFIXES)})')
            files.extend(inside)
        elif osp.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(f'image not found: {path}')
    return files


@tool_run()
def main(argv=None):
    args = parse_args(argv)
    args.checkpoint = resolve_checkpoint_path(args.checkpoint)
    files = image_files(args.images)
    if args.out:
        check_writable(args.out, what='--out')
    inferencer = DeiTLTInferencer(args.config, args.checkpoint, device=args.device,
                                  cfg_options=args.cfg_options)
    results = inferencer(files, batch_size=args.batch_size, topk=args.topk)
    print()  # mmpretrain's progress bar leaves its line open when not on a terminal
    for path, result in zip(files, results):
        print(format_predictions(path, result))
    if args.out:
        dump_json_atomic([dict(image=path, pred_label=result['pred_label'],
                               pred_class=result.get('pred_class'),
                               predictions=result['predictions'])
                          for path, result in zip(files, results)], args.out)
        print(f'predictions written to {args.out}')


if __name__ == '__main__':
    main()
