"""ClippedCutout: DeVries & Taylor's Cutout, the square clipped at the border."""
import numpy as np
import pytest

from deitlt_mm.registry import TRANSFORMS


def reference_cutout(img, y, x, length):
    """PaCo/LT/autoaug.py Cutout (one hole) for a given centre, on an HWC array."""
    h, w = img.shape[:2]
    mask = np.ones((h, w), np.float32)
    y1, y2 = np.clip(y - length // 2, 0, h), np.clip(y + length // 2, 0, h)
    x1, x2 = np.clip(x - length // 2, 0, w), np.clip(x + length // 2, 0, w)
    mask[y1:y2, x1:x2] = 0.0
    return (img * mask[..., None]).astype(img.dtype)


@pytest.mark.parametrize('seed', range(6))
def test_equals_the_reference_at_the_same_centre(seed):
    img = np.random.default_rng(seed).integers(1, 256, (12, 10, 3)).astype(np.uint8)
    np.random.seed(seed)
    y, x = np.random.randint(12), np.random.randint(10)
    np.random.seed(seed)
    out = TRANSFORMS.build(dict(type='ClippedCutout', length=8))(dict(img=img))['img']
    np.testing.assert_array_equal(out, reference_cutout(img, y, x, 8))
    assert out is not img and np.all(img > 0)  # the input is left as it was


def test_border_squares_are_clipped_not_shifted():
    img = np.full((12, 12), 255, np.uint8)
    areas = set()
    for seed in range(200):
        np.random.seed(seed)
        out = TRANSFORMS.build(dict(type='ClippedCutout', length=8))(dict(img=img))['img']
        areas.add(int((out == 0).sum()))
    # A centre in a corner leaves a 4 x 4 square; mmpretrain's Cutout would keep 8 x 8.
    assert min(areas) == 16 and max(areas) == 64
