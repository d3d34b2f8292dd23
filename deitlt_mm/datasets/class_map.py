"""Class re-indexing by training frequency with the reference's exact tie order.

The reference remaps ImageNet-LT / iNaturalist-2018 labels with
``order = np.argsort(-counts)`` under numpy 1.24, whose default argsort is an
introsort. numpy >= 1.25 dispatches to SIMD sorts on AVX2 / AVX-512 machines that
order equal counts differently, and published checkpoints only score correctly
with the reference map. :func:`argsort_numpy124` re-implements numpy 1.24's
index introsort so the map does not depend on the installed numpy or the CPU.
"""
import json
from pathlib import Path
from typing import Dict, Sequence, Tuple, Union

import numpy as np

from ..errors import ConfigValueError
from ..fileio import atomic_write

# numpy 1.24 (npysort/quicksort.cpp): partitions with ``hi - lo > 15`` are split,
# smaller ones are finished by insertion sort.
_SMALL_QUICKSORT = 15


def _sift_down(values, idx, base: int, root: int, size: int, item: int) -> None:
    """Heap sift-down on the 1-based heap ``idx[base + 1 .. base + size]``."""
    value = values[item]
    i, j = root, root * 2
    while j <= size:
        if j < size and values[idx[base + j]] < values[idx[base + j + 1]]:
            j += 1
        if value < values[idx[base + j]]:
            idx[base + i] = idx[base + j]
            i, j = j, j * 2
        else:
            break
    idx[base + i] = item


def _heap_argsort(values, idx, lo: int, hi: int) -> None:
    """numpy's ``aheapsort`` on ``idx[lo..hi]`` (the introsort depth fallback)."""
    size = hi - lo + 1
    base = lo - 1  # numpy indexes the heap from 1
    for root in range(size >> 1, 0, -1):
        _sift_down(values, idx, base, root, size, idx[base + root])
    while size > 1:
        item = idx[base + size]
        idx[base + size] = idx[base + 1]
        size -= 1
        _sift_down(values, idx, base, 1, size, item)


def argsort_numpy124(values: Sequence[int]) -> np.ndarray:
    """``np.argsort(values)`` exactly as numpy 1.24's default (quicksort) kind.

    Median-of-3 quicksort on an index array with an explicit stack: the larger
    partition is pushed, the smaller one is processed next; partitions of at most
    16 elements get insertion sort; once the depth budget ``2 * floor(log2(n))``
    is used up, the partition is heap-sorted. Equal values therefore end up in
    the same (non-stable) order as numpy 1.24 gives them.

    Args:
        values (Sequence[int]): 1-D integer values (e.g. ``-counts``).

    Returns:
        np.ndarray: ``int64`` permutation of ``range(len(values))``.
    """
    v = [int(x) for x in np.asarray(values).reshape(-1)]
    n = len(v)
    idx = list(range(n))
    if n < 2:
        return np.asarray(idx, dtype=np.int64)
    lo, hi = 0, n - 1
    depth = (n.bit_length() - 1) * 2
    stack = []  # (lo, hi, depth) of postponed larger partitions
    while True:
        if depth < 0:
            _heap_argsort(v, idx, lo, hi)
        else:
            while hi - lo > _SMALL_QUICKSORT:
                mid = lo + ((hi - lo) >> 1)
                if v[idx[mid]] < v[idx[lo]]:
                    idx[mid], idx[lo] = idx[lo], idx[mid]
                if v[idx[hi]] < v[idx[mid]]:
                    idx[hi], idx[mid] = idx[mid], idx[hi]
                if v[idx[mid]] < v[idx[lo]]:
                    idx[mid], idx[lo] = idx[lo], idx[mid]
                pivot = v[idx[mid]]
                i, j = lo, hi - 1
                idx[mid], idx[j] = idx[j], idx[mid]
                while True:
                    i += 1
                    while v[idx[i]] < pivot:
                        i += 1
                    j -= 1
                    while pivot < v[idx[j]]:
                        j -= 1
                    if i >= j:
                        break
                    idx[i], idx[j] = idx[j], idx[i]
                idx[i], idx[hi - 1] = idx[hi - 1], idx[i]
                depth -= 1
                if i - lo < hi - i:
                    stack.append((i + 1, hi, depth))
                    hi = i - 1
                else:
                    stack.append((lo, i - 1, depth))
                    lo = i + 1
            for k in range(lo + 1, hi + 1):
                item = idx[k]
                value = v[item]
                j = k
                while j > lo and value < v[idx[j - 1]]:
                    idx[j] = idx[j - 1]
                    j -= 1
                idx[j] = item
        if not stack:
            break
        lo, hi, depth = stack.pop()
    return np.asarray(idx, dtype=np.int64)


def frequency_order(counts: Sequence[int]) -> np.ndarray:
    """Original labels sorted by decreasing count: ``order[new] = original``.

    This is the reference's ``np.argsort(-counts)`` with numpy 1.24 tie order.
    """
    return argsort_numpy124(-np.asarray(counts, dtype=np.int64))


def build_class_map(counts: Sequence[int]) -> Dict[int, int]:
    """Map original label -> frequency index (most frequent class -> 0)."""
    order = frequency_order(counts)
    return {int(original): new for new, original in enumerate(order)}


def class_order(class_map: Dict[int, int], source: str = 'class map') -> np.ndarray:
    """Invert a class map: ``order[new] = original`` (``int64 [C]``).

    ``order`` re-indexes anything laid out by original label into the frequency
    order, e.g. ``logits_original[:, order]`` or a classifier's rows ``W[order]``.

    Raises:
        ValueError: naming ``source`` unless the original labels and the new
            indices are both exactly ``0 .. C-1``.
    """
    num_classes = len(class_map)
    for what, values in (('original labels', list(class_map)),
                         ('new indices', list(class_map.values()))):
        if sorted(values) != list(range(num_classes)):
            raise ConfigValueError(
                f'{source}: the {what} of a {num_classes}-class map must be exactly '
                f'0..{num_classes - 1}, got {len(set(values))} distinct values from '
                f'{min(values)} to {max(values)}.')
    order = np.empty(num_classes, dtype=np.int64)
    for original, new in class_map.items():
        order[new] = original
    return order


def save_class_map(path: Union[str, Path], class_map: Dict[int, int],
                   counts: Sequence[int]) -> None:
    """Write the map as JSON: ``{"class_map": {original: new}, "counts": [...]}``.

    ``counts`` are the training counts indexed by the *original* label, so the
    file alone reproduces both the map and the re-ordered class counts. The file
    is written atomically (a crash never leaves half a map that runs would load).
    """
    payload = dict(class_map={str(k): int(v) for k, v in sorted(class_map.items())},
                   counts=[int(c) for c in counts])
    atomic_write(path, json.dumps(payload, indent=1))


def load_class_map(path: Union[str, Path]) -> Tuple[Dict[int, int], np.ndarray]:
    """Read a file written by :func:`save_class_map`.

    Returns:
        tuple: ``(class_map, counts)`` with ``class_map`` original -> new label and
        ``counts`` the training counts indexed by original label (``int64``).
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
        class_map = {int(k): int(v) for k, v in payload['class_map'].items()}
        counts = np.asarray(payload['counts'], dtype=np.int64)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigValueError(
            f'Class map file {path} is unreadable: expected JSON with keys '
            f'"class_map" (original label -> new index) and "counts" ({err}).') from err
    if sorted(class_map.values()) != list(range(len(class_map))) or \
            len(counts) != len(class_map):
        raise ConfigValueError(
            f'Class map file {path}: "class_map" must be a bijection onto 0..C-1 and '
            f'"counts" must have C={len(class_map)} entries, got {len(counts)}.')
    return class_map, counts
