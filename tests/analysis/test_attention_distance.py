"""Mean attention distance: a 2x2 patch grid computed by hand, then the tool end to end."""
import math

import pytest
import torch

from deitlt_mm.analysis.attention_distance import mean_attention_distance, patch_distances
from deitlt_mm.apis import init_model
from tests._tiny_vit import PATCH, read_json, write_tiny_vit, zero_attention_logits
from tests._tools import load_tool

R2 = math.sqrt(2)


def test_patch_distances_of_a_2x2_grid_are_pixels_between_centres():
    # Patches row by row: p0 (0, 0), p1 (0, 1), p2 (1, 0), p3 (1, 1), 4 px each.
    expected = torch.tensor([[0, 4, 4, 4 * R2], [4, 0, 4 * R2, 4],
                             [4, 4 * R2, 0, 4], [4 * R2, 4, 4, 0]], dtype=torch.float64)
    torch.testing.assert_close(patch_distances(2, 2, 4), expected)
    assert patch_distances(1, 3, 2)[0].tolist() == [0, 2, 4]


def _attention(patch_rows, extra_columns):
    """``[T, T]`` weights: extra-token queries random (ignored), patch queries given as
    ``[extra-token weights..., patch weights...]`` rows."""
    extra = len(extra_columns[0])
    tokens = extra + 4
    weights = torch.rand(tokens, tokens).softmax(-1)
    for query in range(4):
        weights[extra + query] = torch.tensor(extra_columns[query] + patch_rows[query])
    return weights


def test_mean_attention_distance_by_hand_with_cls_and_dist_keys_left_out():
    own = [[0.5] + [0.5 if k == q else 0 for k in range(4)] for q in range(4)]
    # Head 0 of image 0: CLS 0.5, own patch 0.5 -> renormalised all on itself: 0 px.
    head0 = _attention([row[1:] for row in own], [[0.25, 0.25]] * 4)
    # Head 1 of image 0: 0.8 on the diagonally opposite patch: 4 sqrt(2) px.
    opposite = [[0.8 if k == 3 - q else 0 for k in range(4)] for q in range(4)]
    head1 = _attention(opposite, [[0.1, 0.1]] * 4)
    # Image 1, head 0: own 0.1, row neighbour 0.2, column neighbour 0.3, diagonal 0.4
    # -> 0.2 * 4 + 0.3 * 4 + 0.4 * 4 sqrt(2) = 2 + 1.6 sqrt(2) px for every query.
    grid = [[0.1, 0.2, 0.3, 0.4], [0.2, 0.1, 0.4, 0.3], [0.3, 0.4, 0.1, 0.2],
            [0.4, 0.3, 0.2, 0.1]]
    head2 = _attention(grid, [[0.0, 0.0]] * 4)
    # Image 1, head 1: CLS 0.3, DIST 0.3, 0.1 per patch -> uniform: (0 + 4 + 4 + 4 sqrt(2)) / 4.
    head3 = _attention([[0.1] * 4] * 4, [[0.3, 0.3]] * 4)
    attention = torch.stack([torch.stack([head0, head1]), torch.stack([head2, head3])])
    distances = mean_attention_distance(attention, patch_distances(2, 2, PATCH), 2)
    expected = torch.tensor([[0.0, 4 * R2], [2 + 1.6 * R2, 2 + R2]], dtype=torch.float64)
    torch.testing.assert_close(distances, expected)


def _by_loops(model, config):
    """The definition written out with loops, over the tiny test set (12 images)."""
    from deitlt_mm.analysis.test_set import build_test_loader, preprocessed_batches
    backbone, extra = model.backbone, model.backbone.num_extra_tokens
    centres = [(r, c) for r in range(2) for c in range(2)]
    sums, count = None, 0
    for inputs, _ in preprocessed_batches(model, build_test_loader(model._config), False):
        maps = backbone.attention_maps(inputs)
        per = torch.zeros(len(maps), maps[0].shape[1], dtype=torch.float64)
        for layer, weights in enumerate(maps):
            for b in range(inputs.shape[0]):
                for h in range(weights.shape[1]):
                    for q in range(4):
                        row = weights[b, h, extra + q, extra:].double()
                        row = row / row.sum()
                        per[layer, h] += sum(
                            row[k] * PATCH * math.dist(centres[q], centres[k])
                            for k in range(4)) / 4
        sums = per if sums is None else sums + per
        count += inputs.shape[0]
    return sums / count


def test_tool_writes_distances_of_student_and_baseline(tmp_path, capsys):
    student = write_tiny_vit(tmp_path, edit=zero_attention_logits)
    baseline = write_tiny_vit(tmp_path, student=False)
    out = tmp_path / 'out'
    load_tool('analysis/attention_distance.py').main(
        [*student, '--out', str(out), '--compare', *baseline, '--names', 'DeiT-LT', 'DeiT',
         '--num-images', '0'])
    report = read_json(out / 'attention_distance.json')
    assert list(report['models']) == ['DeiT-LT', 'DeiT']
    deitlt = report['models']['DeiT-LT']
    assert (deitlt['input_size'], deitlt['patch_size'], deitlt['grid'], deitlt['num_images']) \
        == ([8, 8], 4, [2, 2], 12)
    # Zero query / key projections: uniform attention, (0 + 4 + 4 + 4 sqrt(2)) / 4 px.
    for layer in deitlt['layers']:
        assert layer['heads'] == pytest.approx([2 + R2] * 2, abs=1e-12)
        assert layer['mean'] == pytest.approx(2 + R2, abs=1e-12)
    expected = _by_loops(init_model(baseline[0], baseline[1]), baseline[0])
    measured = [layer['heads'] for layer in report['models']['DeiT']['layers']]
    torch.testing.assert_close(torch.tensor(measured, dtype=torch.float64), expected)
    assert (out / 'attention_distance.png').read_bytes()[:4] == b'\x89PNG'
    assert 'attention distance written to' in capsys.readouterr().out


def test_tool_takes_evenly_spaced_images_and_refuses_odd_pairs(tmp_path, capsys):
    student = write_tiny_vit(tmp_path)
    out = tmp_path / 'out'
    load_tool('analysis/attention_distance.py').main([*student, '--out', str(out),
                                                      '--num-images', '5'])
    assert read_json(out / 'attention_distance.json')['models']['student']['num_images'] == 5
    with pytest.raises(SystemExit):
        load_tool('analysis/attention_distance.py').main([*student, '--out', str(out),
                                                          '--compare', student[0]])
    assert '--compare takes CONFIG CHECKPOINT pairs' in capsys.readouterr().err
