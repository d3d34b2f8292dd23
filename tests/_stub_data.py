"""Tiny on-disk stand-ins for every dataset the configs read (written into tmp dirs)."""
import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
from PIL import Image


def write_idx(path, array):
    """An uint8 IDX file (gzipped), the format of the official (Fashion-)MNIST files."""
    header = bytes([0, 0, 8, array.ndim]) + b''.join(struct.pack('>i', d) for d in array.shape)
    with gzip.open(path, 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


def write_fashion_mnist(root, train_per_class=100, test_per_class=2):
    """Fake Fashion-MNIST (class c is grey level 25c); IF100 keeps >= 1 image per class."""
    rng = np.random.default_rng(0)
    for prefix, per_class in (('train', train_per_class), ('t10k', test_per_class)):
        labels = np.repeat(np.arange(10), per_class)
        images = labels[:, None, None] * 25 + rng.integers(0, 20, (len(labels), 28, 28))
        write_idx(Path(root) / f'{prefix}-images-idx3-ubyte.gz', images)
        write_idx(Path(root) / f'{prefix}-labels-idx1-ubyte.gz', labels)


def write_cifar(root, num_classes, per_class=2):
    """Balanced random CIFAR-10 / CIFAR-100 pickles in their official layout."""
    rng = np.random.default_rng(0)
    if num_classes == 10:
        folder, key = Path(root) / 'cifar-10-batches-py', 'labels'
        train_names, test_names = [f'data_batch_{i}' for i in range(1, 6)], ['test_batch']
    else:
        folder, key = Path(root) / 'cifar-100-python', 'fine_labels'
        train_names, test_names = ['train'], ['test']
    folder.mkdir(parents=True)
    labels = np.repeat(np.arange(num_classes), per_class)
    for names in (train_names, test_names):
        for name, part in zip(names, np.array_split(labels, len(names))):
            data = rng.integers(0, 255, (len(part), 3072), dtype=np.uint8)
            with open(folder / name, 'wb') as f:
                pickle.dump({'data': data, key: part.tolist()}, f)


def write_image_list(root, list_names, num_images=3):
    """A few JPEGs under ``imgs/`` and each list file naming them (labels 0, 1, ...)."""
    (Path(root) / 'imgs').mkdir(parents=True, exist_ok=True)
    lines = []
    for i in range(num_images):
        Image.new('RGB', (48, 40), (40 * i, 90, 160)).save(Path(root) / 'imgs' / f'{i}.jpg')
        lines.append(f'imgs/{i}.jpg {i}')
    for name in list_names:
        (Path(root) / name).write_text('\n'.join(lines) + '\n')


def write_stub_data(dataset_type, root):
    """Write the files ``dataset_type`` reads into ``root``."""
    writers = {
        'CIFAR10LT': lambda: write_cifar(root, 10),
        'CIFAR100LT': lambda: write_cifar(root, 100),
        'FashionMNISTLT': lambda: write_fashion_mnist(root),
        'ImageNetLT': lambda: write_image_list(
            root, [f'ImageNet_LT_{s}.txt' for s in ('train', 'val', 'test')]),
        'INaturalist2018': lambda: write_image_list(
            root, [f'iNaturalist18_{s}.txt' for s in ('train', 'val')]),
    }
    if dataset_type not in writers:
        raise KeyError(f'no stub data writer for dataset type {dataset_type!r}')
    writers[dataset_type]()
