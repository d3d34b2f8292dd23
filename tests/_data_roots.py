"""A tiny ImageNet-LT data root (real JPEGs, the lists in either spelling) and its defects,
for the data checks (tests/datasets/test_data_check.py, tests/tools/test_bad_inputs.py)."""
from pathlib import Path

from mmengine.config import Config
from PIL import Image

from deitlt_mm.datasets.data_check import KnownSize, check_data

PAPER_CONFIG = Path(__file__).resolve().parents[1] / 'configs' / 'deitlt' / 'deitlt_b_imagenetlt.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# ImageNet label -> training images; one test image per class.
TRAIN_COUNTS = {0: 3, 1: 2, 2: 1}
TINY_SIZES = {'ImageNetLT': KnownSize(3, {'train': 6, 'test': 3})}


def write_imagenet_lt_root(root, spelling='Imagenet_LT'):
    """``train/`` and class-foldered ``val/`` JPEGs and ``<spelling>_{train,test}.txt``."""
    root = Path(root)
    train, test = [], []
    for label, count in TRAIN_COUNTS.items():
        wnid = f'n{label:08d}'
        for folder, lines, number in (('train', train, count), ('val', test, 1)):
            (root / folder / wnid).mkdir(parents=True, exist_ok=True)
            for k in range(number):
                name = f'{folder}/{wnid}/{wnid}_{k}.JPEG'
                Image.new('RGB', (12, 10), (80 * label, 40 * k, 90)).save(root / name, 'JPEG')
                lines.append(f'{name} {label}')
    (root / f'{spelling}_train.txt').write_text('\n'.join(train) + '\n')
    (root / f'{spelling}_test.txt').write_text('\n'.join(test) + '\n')
    return root


def imagenet_lt_config(root):
    """The ImageNet-LT paper config with every dataloader on ``root``."""
    cfg = Config.fromfile(str(PAPER_CONFIG))
    for loader in LOADERS:
        cfg[loader].dataset.data_root = str(root)
    return cfg


def _rewrite(path, edit):
    lines = path.read_text().splitlines()
    path.write_text('\n'.join(edit(lines)) + '\n')


DEFECTS = {
    'list-missing': lambda root: (root / 'Imagenet_LT_test.txt').unlink(),
    'labels': lambda root: _rewrite(root / 'Imagenet_LT_test.txt',
                                    lambda lines: lines[:-1] + [lines[-1][:-1] + '1000']),
    'count': lambda root: _rewrite(root / 'Imagenet_LT_train.txt', lambda lines: lines[1:]),
    'classes': lambda root: _rewrite(root / 'Imagenet_LT_train.txt',
                                     lambda lines: [x for x in lines if not x.endswith(' 2')]),
    'images-missing': lambda root: (root / 'train' / 'n00000001' / 'n00000001_1.JPEG').unlink(),
    'image-undecodable': lambda root: (root / 'val' / 'n00000000' / 'n00000000_0.JPEG')
    .write_bytes(b'\xff\xd8 not a jpeg'),
}


def defect_findings(root, kind):
    """The error findings of :func:`check_data` on a tiny root with defect ``kind``."""
    root = write_imagenet_lt_root(root)
    DEFECTS[kind](root)
    reports = check_data(imagenet_lt_config(root), TINY_SIZES, progress=False)
    return [finding for report in reports for finding in report.errors]


def defect_message(root, kind):
    """The message of the finding of kind ``kind`` on a root with that defect."""
    return next(f.message for f in defect_findings(root, kind) if f.kind == kind)
