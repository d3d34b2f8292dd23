import logging
import math

import numpy as np
import pytest
import torch
import torch.distributed as torch_dist
import torch.multiprocessing as mp
from mmengine.dataset import DefaultSampler

import deitlt_mm  # noqa: F401  (the spawned ranks register components through this import)
from deitlt_mm.registry import METRICS

N_CLASSES = 4
LABELS = [0, 0, 1, 2, 3, 3]
# Argmax of each prediction per sample (the other classes score lower).
CLS_ARGMAX = [0, 1, 1, 0, 3, 2]    # correct: 1 0 1 0 1 0
DIST_ARGMAX = [0, 0, 2, 2, 0, 0]   # correct: 1 1 0 1 0 0
AVG_ARGMAX = [0, 0, 1, 2, 3, 1]    # correct: 1 1 1 1 1 0


def _one_hot_scores(argmax, num_classes=N_CLASSES):
    scores = torch.full((num_classes,), 0.1)
    scores[argmax] = 0.7
    return scores


def _student_samples(indices=range(len(LABELS))):
    return [dict(gt_label=torch.tensor([LABELS[i]]),
                 pred_score_cls=_one_hot_scores(CLS_ARGMAX[i]),
                 pred_score_dist=_one_hot_scores(DIST_ARGMAX[i]),
                 pred_score=_one_hot_scores(AVG_ARGMAX[i])) for i in indices]


def test_teacher_scored_beside_the_student_and_warned_about_once(monkeypatch):
    import deitlt_mm.evaluation.long_tail_accuracy as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda msg, logger, level: logged.append((level, msg)))
    metric = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[1, 3]))
    collapsed = [0] * len(LABELS)  # one class for everything: correct 1 1 0 0 0 0
    for _ in range(2):  # two validations
        samples = _student_samples()
        for sample, argmax in zip(samples, collapsed):
            sample['pred_score_teacher'] = _one_hot_scores(argmax)
        metric.process(None, samples)
        out = metric.evaluate(len(LABELS))
        assert out['long_tail/teacher/top1'] == pytest.approx(200 / 6)
        assert (out['long_tail/teacher/head'], out['long_tail/teacher/mid'],
                out['long_tail/teacher/tail']) == (100.0, 0.0, 0.0)
        assert metric.long_tail_results.predictions['teacher'].per_class == [
            100.0, 0.0, 0.0, 0.0]
        assert metric.long_tail_results.teacher_check['degenerate']
        assert out['long_tail/teacher/top_class_share'] == 100.0
        assert out['long_tail/teacher/degenerate'] == 1.0
        assert out['long_tail/cls/top1'] == 50.0  # the student's figures are unchanged
        assert next(iter(out)) == 'long_tail/avg/top1'
    assert len(logged) == 1 and logged[0][0] == logging.WARNING
    assert 'The teacher looks degenerate: class 0 takes 100.0 %' in logged[0][1]


def test_student_index_split_hand_computed():
    metric = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[1, 3]))
    metric.dataset_meta = dict(classes=('a', 'b', 'c', 'd'))
    metric.set_class_counts([9, 5, 4, 1])
    metric.process(None, _student_samples())
    out = metric.evaluate(len(LABELS))
    results = metric.long_tail_results
    # head = class 0, mid = classes 1-2, tail = class 3.
    expected = {
        'avg': dict(top1=500 / 6, head=100.0, mid=100.0, tail=50.0,
                    per_class=[100, 100, 100, 50]),
        'cls': dict(top1=50.0, head=50.0, mid=50.0, tail=50.0, per_class=[50, 100, 0, 50]),
        'dist': dict(top1=50.0, head=100.0, mid=50.0, tail=0.0, per_class=[100, 0, 100, 0]),
    }
    assert list(results.predictions) == list(expected)
    for name, figures in expected.items():
        accuracy = results.predictions[name]
        for figure, value in figures.items():
            assert getattr(accuracy, figure) == pytest.approx(value), (name, figure)
            if figure != 'per_class':  # logged scalars: the same figures, flat
                assert out[f'long_tail/{name}/{figure}'] == pytest.approx(value)
        assert accuracy.top5 is None and f'long_tail/{name}/top5' not in out  # 4 classes
    assert results.class_groups == ['head', 'mid', 'mid', 'tail']
    assert results.train_class_counts == [9, 5, 4, 1]
    # Only scalars reach mmengine's logs; the average first for save_best='auto'.
    assert all(isinstance(v, float) for v in out.values()) and len(out) == 12
    assert next(iter(out)) == 'long_tail/avg/top1'


def _ranked(ranking):
    scores = torch.zeros(len(ranking))
    scores[torch.tensor(ranking)] = torch.arange(len(ranking), 0, -1, dtype=torch.float)
    return scores


PLAIN = [  # (label, classes best first)
    (0, [0, 1, 2, 3, 4, 5, 6]),  # top-1 hit
    (6, [1, 2, 3, 6, 0, 4, 5]),  # rank 4: top-5 hit
    (3, [0, 1, 2, 4, 5, 6, 3]),  # miss
    (1, [0, 1, 2, 3, 4, 5, 6]),  # rank 2: top-5 hit
]
TRAIN_COUNTS = [500, 300, 150, 100, 50, 19, 5]  # many: 0-2, medium: 3-4, few: 5-6


@pytest.mark.parametrize('counts_from', ['hook', 'argument'])
def test_plain_classifier_shot_split_hand_computed(counts_from):
    cfg = dict(type='LongTailAccuracy', split='shot')
    if counts_from == 'argument':
        cfg['class_counts'] = TRAIN_COUNTS
    metric = METRICS.build(cfg)
    metric.dataset_meta = dict(classes=tuple('abcdefg'))
    # What TrainClassCountsHook does; an explicit class_counts argument wins.
    metric.set_class_counts(TRAIN_COUNTS if counts_from == 'hook' else [1] * 7)
    metric.process(None, [dict(gt_label=torch.tensor([label]), pred_score=_ranked(ranking))
                          for label, ranking in PLAIN])
    out = metric.evaluate(len(PLAIN))
    assert out == pytest.approx({'long_tail/top1': 25.0, 'long_tail/top5': 75.0,
                                 'long_tail/head': 50.0,  # class 0: 100, class 1: 0
                                 'long_tail/mid': 0.0,    # class 3 (class 4 has no image)
                                 'long_tail/tail': 0.0})  # class 6 (class 5 has no image)
    results = metric.long_tail_results
    assert list(results.predictions) == ['pred']
    assert results.predictions['pred'].per_class == [100.0, 0.0, None, 0.0, None, None, 0.0]
    assert results.class_groups == ['head'] * 3 + ['mid'] * 2 + ['tail'] * 2
    assert results.train_class_counts == TRAIN_COUNTS


def test_empty_group_is_nan_and_bad_configs():
    metric = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[2, 4]))
    metric.process(None, _student_samples())
    out = metric.evaluate(len(LABELS))
    assert math.isnan(out['long_tail/cls/tail'])
    with pytest.raises(ValueError, match='cut_points'):
        METRICS.build(dict(type='LongTailAccuracy', split='index'))
    no_counts = METRICS.build(dict(type='LongTailAccuracy', split='shot'))
    no_counts.process(None, _student_samples())
    with pytest.raises(ValueError, match='training class counts.*TrainClassCountsHook'):
        no_counts.evaluate(len(LABELS))
    with pytest.raises(KeyError, match='pred_score'):
        metric.process(None, [dict(gt_label=torch.tensor([0]),
                                   pred_score_cls=_one_hot_scores(0))])
    metric.process(None, [dict(gt_label=torch.tensor([9]), pred_score=_one_hot_scores(0))])
    with pytest.raises(ValueError, match=r'labels span \[9, 9\] but scores have 4 classes'):
        metric.evaluate(1)


# ---- distributed: 2 gloo ranks give the numbers of 1 process -----------------

def _random_samples(num, seed=0):
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 8, (num,), generator=gen)
    scores = torch.rand(num, 3, 8, generator=gen)
    return [dict(gt_label=labels[i:i + 1], pred_score_cls=scores[i, 0],
                 pred_score_dist=scores[i, 1], pred_score=scores[i, 2]) for i in range(num)]


def _metric():
    # Collected across ranks by default through the process group (all_gather_object:
    # gloo here, NCCL on GPUs), which needs no folder shared between nodes.
    metric = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[2, 5]))
    metric.dataset_meta = dict(classes=tuple('abcdefgh'))
    return metric


def _rank_worker(rank, world_size, tmpdir, num):
    torch_dist.init_process_group('gloo', init_method=f'file://{tmpdir}/store',
                                  rank=rank, world_size=world_size)
    samples = _random_samples(num)
    # mmengine's sampler pads the shards to equal length with repeated samples.
    shard = list(DefaultSampler(list(range(num)), shuffle=False))
    metric = _metric()
    assert metric.collect_device == 'gpu'
    for start in range(0, len(shard), 2):  # batches of 2
        metric.process(None, [samples[i] for i in shard[start:start + 2]])
    out = metric.evaluate(num)
    if rank == 0:
        torch.save(dict(out=out, results=metric.long_tail_results.to_dict()),
                   f'{tmpdir}/rank0.pt')
    torch_dist.destroy_process_group()


def test_two_process_gloo_equals_single_process(tmp_path):
    num = 13  # uneven: rank 1 gets one padded sample
    mp.spawn(_rank_worker, args=(2, str(tmp_path), num), nprocs=2, join=True)
    distributed = torch.load(tmp_path / 'rank0.pt', weights_only=False)
    single = _metric()
    single.process(None, _random_samples(num))
    expected = single.evaluate(num)
    assert distributed['out'].keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_equal(distributed['out'][key], value, err_msg=key)
    np.testing.assert_equal(distributed['results'], single.long_tail_results.to_dict())


TRANSFERS = ('cpu', 'item', 'tolist', 'numpy', '__int__', '__float__', '__bool__', '__index__',
             '__array__')


def test_one_device_to_host_copy_per_batch(monkeypatch):
    # On a GPU every .item() / .cpu() / int(tensor) waits for the device. Count the
    # tensor methods that read values back on the host, per processed batch.
    calls = []
    for name in TRANSFERS:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(torch.Tensor, name, counted)
    metric = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[2, 5]))
    samples = _random_samples(13)
    for start in range(0, 13, 4):
        calls.clear()
        metric.process(None, samples[start:start + 4])
        # One copy of [labels | top-5 of cls, dist, avg] and its numpy view.
        assert calls == ['cpu', 'numpy']
    monkeypatch.undo()
    assert len(metric.results) == 13
    one_by_one = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[2, 5]))
    for sample in samples:
        one_by_one.process(None, [sample])
    for batched, single, sample in zip(metric.results, one_by_one.results, samples):
        assert batched['gt_label'] == single['gt_label'] == int(sample['gt_label'])
        assert batched['num_classes'] == 8
        for name, key in (('cls', 'pred_score_cls'), ('dist', 'pred_score_dist'),
                          ('avg', 'pred_score')):
            np.testing.assert_array_equal(batched['topk'][name], single['topk'][name])
            np.testing.assert_array_equal(batched['topk'][name],
                                          sample[key].topk(5).indices.numpy())
    assert metric.evaluate(13) == one_by_one.evaluate(13)


def test_a_collect_dir_means_collection_through_files(tmp_path):
    metric = METRICS.build(dict(type='LongTailAccuracy', split='index', cut_points=[2, 5],
                                collect_dir=str(tmp_path)))
    assert (metric.collect_device, metric.collect_dir) == ('cpu', str(tmp_path))
