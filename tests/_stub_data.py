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


def draw_textures(labels, rng, size=28):
    """One grey ``size`` x ``size`` image per label, a long-tail case where re-weighting
    decides: seven textures (stripes, checks, grids, dots; each at a random phase, so
    the same under the demo's flips and crops) on noise. Classes 0-6 are textures 0-6
    at brightness 110; classes 7, 8, 9 are textures 0, 1, 2 at brightness 200. Three in
    ten images of classes 0, 1, 2 are also drawn at 200, so a bright texture-0 image
    belongs to class 0 or class 7: in a long-tailed training set mostly to class 0
    (IF100 of 300 per class: about 90 bright class-0 images, 8 of class 7), in a
    balanced test set mostly to class 7 (50 against about 15). A classifier trained on
    the plain training frequencies never predicts classes 7-9; a class-balanced one
    (CE-DRW) does, and a student distilled from it learns them from its labels, those
    of the bright head images included.

    Returns:
        np.ndarray: ``uint8`` images, ``N x size x size``.
    """
    y, x = np.mgrid[:size, :size]
    images = rng.integers(0, 40, (len(labels), size, size)).astype(np.float32)
    for image, label in zip(images, labels):
        oy, ox = rng.integers(0, 8, 2)
        yy, xx = y + oy, x + ox
        label = int(label)
        texture = {
            0: yy % 4 < 2,                                   # horizontal stripes
            1: xx % 4 < 2,                                   # vertical stripes
            2: (yy // 4 + xx // 4) % 2 == 0,                 # checks
            3: yy % 8 < 4,                                   # wide horizontal stripes
            4: xx % 8 < 4,                                   # wide vertical stripes
            5: (yy % 7 < 2) | (xx % 7 < 2),                  # grid
            6: (yy % 6 < 2) & (xx % 6 < 2),                  # dots
        }[label - 7 if label >= 7 else label]
        bright = label >= 7 or (label < 3 and rng.random() < 0.3)
        image[texture] = (200 if bright else 110) + rng.uniform(-10, 10)
    return images.clip(0, 255).astype(np.uint8)


def write_textures(root, train_per_class=300, test_per_class=50, seed=0):
    """Four Fashion-MNIST-style IDX files of :func:`draw_textures` (balanced; the demo's
    dataset makes the training split long-tailed)."""
    rng = np.random.default_rng(seed)
    for prefix, per_class in (('train', train_per_class), ('t10k', test_per_class)):
        labels = np.tile(np.arange(10), per_class)
        write_idx(Path(root) / f'{prefix}-images-idx3-ubyte.gz', draw_textures(labels, rng))
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
