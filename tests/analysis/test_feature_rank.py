"""Singular values and effective rank of known matrices, then the tool end to end."""
import math

import numpy as np
import pytest
import torch

from deitlt_mm.analysis.feature_rank import effective_rank, singular_values, token_spectra
from deitlt_mm.analysis.test_set import build_test_loader, preprocessed_batches
from deitlt_mm.apis import init_model
from tests._tiny_vit import CLASSES, NUM_LAYERS, read_json, write_tiny_vit
from tests._tools import load_tool

# Mean zero, X^T X = diag(18, 8): singular values 3 sqrt(2), 2 sqrt(2).
KNOWN = torch.tensor([[3.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, -2.0]])
# p = (0.6, 0.4): exp(-(0.6 ln 0.6 + 0.4 ln 0.4)).
KNOWN_RANK = math.exp(-(0.6 * math.log(0.6) + 0.4 * math.log(0.4)))


def test_singular_values_and_effective_rank_of_a_known_matrix():
    values = singular_values(KNOWN)
    torch.testing.assert_close(values, torch.tensor([3 * math.sqrt(2), 2 * math.sqrt(2)],
                                                    dtype=torch.float64))
    assert effective_rank(values) == pytest.approx(KNOWN_RANK)  # 1.960
    # Centring removes a shared offset; without it the offset is a direction of its own.
    shifted = KNOWN + torch.tensor([10.0, 0.0])
    torch.testing.assert_close(singular_values(shifted), values)
    assert singular_values(shifted, centre=False)[0] > 20
    # Flat spectrum: rank = count; one direction: 1; nothing: None.
    assert effective_rank(torch.tensor([2.0, 2.0, 2.0])) == pytest.approx(3.0)
    assert effective_rank(singular_values(torch.tensor([[1.0, 0.0], [-1.0, 0.0]]))) == 1.0
    assert effective_rank(singular_values(torch.tensor([[5.0, 1.0]]))) is None


def test_token_spectra_per_class_group_and_block():
    features = torch.tensor([[1.0, 0.0], [-1.0, 0.0],   # class 0: one direction
                             *KNOWN.tolist(),            # class 1: ranks 1.960
                             [7.0, 7.0]])                # class 2: one image
    labels = torch.tensor([0, 0, 1, 1, 1, 1, 2])
    groups = ['head', 'mid', 'tail', 'tail']  # class 3 has no test image
    spectra = token_spectra(features, [features * 2], labels, groups, ['a', 'b', 'c', 'd'])
    classes = {c['class']: c for c in spectra['classes']}
    assert sorted(classes) == [0, 1, 2]
    assert classes[0]['effective_rank'] == 1.0
    # Spectra are written with 6 significant digits.
    assert classes[0]['singular_values'] == [pytest.approx(math.sqrt(2), rel=1e-5), 0.0]
    assert classes[1]['effective_rank'] == pytest.approx(KNOWN_RANK)
    assert (classes[1]['name'], classes[1]['group'], classes[1]['num_images']) == ('b', 'mid', 4)
    assert classes[2]['effective_rank'] is None
    assert spectra['groups']['head']['effective_rank'] == 1.0
    assert spectra['groups']['mid']['effective_rank'] == pytest.approx(KNOWN_RANK)
    assert spectra['groups']['tail']['num_images'] == 1
    # Scaling does not change a rank.
    assert spectra['blocks'][0]['effective_rank'] == pytest.approx(
        spectra['all']['effective_rank'])


def _numpy_rank(features):
    """Roy & Vetterli written out with numpy."""
    centred = features - features.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    p = s[s > 1e-12 * s[0]] / s.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


@pytest.mark.parametrize('student', [True, False])
def test_tool_ranks_the_tokens_of_the_test_set(tmp_path, student):
    config, checkpoint = write_tiny_vit(tmp_path, student=student)
    out = tmp_path / 'out'
    load_tool('analysis/feature_rank.py').main([config, checkpoint, '--out', str(out)])
    report = read_json(out / 'feature_rank.json')
    tokens = ['cls', 'dist'] if student else ['cls']
    assert list(report['tokens']) == tokens and report['centred'] is True
    assert report['num_images'] == 12
    assert report['class_groups'] == ['head', 'mid', 'mid', 'tail']
    # Independent features: the backbone's forward output over the same images.
    model = init_model(config, checkpoint)
    with torch.no_grad():
        batches = list(preprocessed_batches(model, build_test_loader(model._config), False))
        final = torch.cat([torch.stack(model.backbone(x), dim=1) for x, _ in batches])
    labels = torch.cat([y for _, y in batches])
    for index, token in enumerate(tokens):
        spectra = report['tokens'][token]
        assert spectra['all']['effective_rank'] == pytest.approx(
            _numpy_rank(final[:, index].double().numpy()), rel=1e-6)
        tail = final[labels == 3, index].double().numpy()
        assert spectra['groups']['tail']['effective_rank'] == pytest.approx(
            _numpy_rank(tail), rel=1e-6)
        assert [c['name'] for c in spectra['classes']] == list(CLASSES)
        assert len(spectra['blocks']) == NUM_LAYERS
    assert (out / 'feature_rank.png').read_bytes()[:4] == b'\x89PNG'
