"""PaCoClassifier: queue and key encoder step by step, SAM's second pass, DDP gather,
checkpoint round trip, and a checkpoint as a plain ImageClassifier teacher."""
import io

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from deitlt_mm.models.classifiers import paco_classifier
from deitlt_mm.models.utils import load_teacher_checkpoint, strip_paco_training_state
from deitlt_mm.registry import MODELS

BATCH, CLASSES = 4, 3
PARTS = dict(
    backbone=dict(type='ResNetCifarOptionA', depth=8, base_channels=4),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=CLASSES, in_channels=16))


def build_paco(queue_size=8, momentum=0.25, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(dict(
        type='PaCoClassifier', **PARTS,
        projector=dict(type='NonLinearNeck', in_channels=16, hid_channels=16, out_channels=8,
                       with_bias=True, with_last_bn=False, with_last_bias=True,
                       with_avg_pool=False, norm_cfg=dict(type='BN1d')),
        loss=dict(type='PaCoLoss', alpha=0.5, temperature=0.2),
        queue_size=queue_size, momentum=momentum,
        data_preprocessor=dict(num_classes=CLASSES, mean=[127.5] * 3, std=[64.0] * 3)))
    model.loss_module.set_class_counts([6, 3, 1])
    return model.train()


def two_view_batch(seed):
    """A collated (pseudo_collate) two-view batch: inputs = [view 1 list, view 2 list]."""
    generator = torch.Generator().manual_seed(seed)
    views = [[torch.randint(0, 256, (3, 16, 16), generator=generator, dtype=torch.uint8)
              for _ in range(BATCH)] for _ in range(2)]
    samples = [DataSample().set_gt_label((seed + i) % CLASSES) for i in range(BATCH)]
    return dict(inputs=views, data_samples=samples)


def optimizer(model, **wrapper):
    return build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.5), **wrapper))


def query_embedding(model, images):
    return F.normalize(model.projector(model.neck(model.backbone(images)))[0], dim=1)


def params(module):
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def test_queue_push_values_and_pointer_wrap():
    model = build_paco(queue_size=8)
    pointers = []
    for seed in range(3):
        batch = model.data_preprocessor(two_view_batch(seed), training=True)
        key_images, labels = batch['inputs'][1], torch.cat(
            [s.gt_label for s in batch['data_samples']])
        before, before_labels, ptr = model.queue.clone(), model.queue_labels.clone(), int(
            model.queue_ptr)
        if seed == 0:  # the first update copies the query encoder into the key encoder
            with torch.no_grad():
                expected_keys = query_embedding(model, key_images)
        model(**batch, mode='loss')
        step = model.last_key_step
        # The loss contrasts against the queue as it was before this step's push ...
        assert torch.equal(step.queue, before) and torch.equal(step.queue_labels, before_labels)
        # ... and the keys land at the pointer, everything else unchanged.
        torch.testing.assert_close(model.queue[ptr:ptr + BATCH], step.keys)
        assert torch.equal(model.queue_labels[ptr:ptr + BATCH], labels)
        untouched = torch.ones(8, dtype=torch.bool)
        untouched[ptr:ptr + BATCH] = False
        assert torch.equal(model.queue[untouched], before[untouched])
        if seed == 0:
            torch.testing.assert_close(step.keys, expected_keys, rtol=1e-5, atol=1e-6)
        pointers.append(int(model.queue_ptr))
    assert pointers == [4, 0, 4]  # K = 8, B = 4: wraps after two steps
    assert int(model.momentum_encoder.steps) == 3


def test_momentum_update_step_by_step():
    model = build_paco(momentum=0.25)
    wrapper = optimizer(model)
    query_before_first = params(model.query_encoder)
    model.train_step(two_view_batch(0), wrapper)
    key = params(model.momentum_encoder.module)
    for name, value in query_before_first.items():  # step 1: a copy
        assert torch.equal(key[name], value), name
    query = params(model.query_encoder)
    assert any(not torch.equal(query[n], query_before_first[n]) for n in query)
    model.train_step(two_view_batch(1), wrapper)
    for name, value in params(model.momentum_encoder.module).items():
        torch.testing.assert_close(value, 0.75 * key[name] + 0.25 * query[name], rtol=0,
                                   atol=1e-7)
    assert all(not p.requires_grad for p in model.momentum_encoder.parameters())


def test_sam_second_pass_pushes_and_updates_once():
    model = build_paco(queue_size=8, momentum=0.25)
    wrapper = optimizer(model, type='SAMOptimWrapper', rho=0.5)
    model.train_step(two_view_batch(0), wrapper)
    key_before, query_before = params(model.momentum_encoder.module), params(
        model.query_encoder)
    queue_before = model.queue.clone()
    calls = []
    model.loss_module.register_forward_hook(
        lambda module, args, output: calls.append([a.detach().clone() for a in args]))

    model.train_step(two_view_batch(1), wrapper)

    assert len(calls) == 2  # SAM: first pass and its replay at w + e
    (features_1, labels_1, _), (features_2, labels_2, _) = calls
    # Same keys and the same queue snapshot in both passes; the queries moved with w + e.
    assert torch.equal(features_1[BATCH:], features_2[BATCH:])
    assert torch.equal(labels_1, labels_2)
    assert not torch.allclose(features_1[:BATCH], features_2[:BATCH])
    torch.testing.assert_close(features_1[2 * BATCH:], queue_before)
    # The queue got this batch's keys once; the pointer moved by one batch.
    assert int(model.queue_ptr) == 0
    torch.testing.assert_close(model.queue[BATCH:], features_1[BATCH:2 * BATCH])
    torch.testing.assert_close(model.queue[:BATCH], queue_before[:BATCH])
    # One momentum update, from the unperturbed weights.
    assert int(model.momentum_encoder.steps) == 2
    for name, value in params(model.momentum_encoder.module).items():
        torch.testing.assert_close(value, 0.75 * key_before[name] + 0.25 * query_before[name],
                                   rtol=0, atol=1e-7)


def test_keys_and_labels_of_all_ranks_are_pushed(monkeypatch):
    other_rank = {}

    def two_rank_all_gather(tensor):
        other = other_rank.setdefault(tensor.dtype, tensor.flip(0) + 1)
        return [tensor, other]

    monkeypatch.setattr(paco_classifier, 'all_gather', two_rank_all_gather)
    model = build_paco(queue_size=16)
    model(**model.data_preprocessor(two_view_batch(0), training=True), mode='loss')
    step = model.last_key_step
    torch.testing.assert_close(model.queue[:2 * BATCH],
                               torch.cat([step.keys, step.keys.flip(0) + 1]))
    assert torch.equal(model.queue_labels[:2 * BATCH],
                       torch.cat([step.labels, step.labels.flip(0) + 1]))
    assert int(model.queue_ptr) == 2 * BATCH  # the global batch

    # Refused before anything changes.
    monkeypatch.setattr(paco_classifier, 'get_world_size', lambda: 2)
    model = build_paco(queue_size=12)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    with pytest.raises(ValueError, match='queue_size 12 is not a multiple of the global '
                                         r'batch 8'):
        model(**model.data_preprocessor(two_view_batch(0), training=True), mode='loss')
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_state_dict_round_trip_continues_exactly():
    model = build_paco(seed=0)
    wrapper = optimizer(model)
    for seed in range(3):
        model.train_step(two_view_batch(seed), wrapper)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    restored = build_paco(seed=1)
    restored.load_state_dict(torch.load(buffer, weights_only=True), strict=True)
    for name, value in model.state_dict().items():
        assert torch.equal(restored.state_dict()[name], value), name
    assert int(restored.queue_ptr) == 4 and int(restored.momentum_encoder.steps) == 3
    # The next step (stateless SGD) is the same on both.
    batch = two_view_batch(7)
    model.train_step(batch, wrapper)
    restored.train_step(batch, optimizer(restored))
    for name, value in model.state_dict().items():
        torch.testing.assert_close(restored.state_dict()[name], value, rtol=0, atol=0)


def test_checkpoint_is_a_plain_image_classifier_teacher(tmp_path):
    model = build_paco()
    model.train_step(two_view_batch(0), optimizer(model))
    path = tmp_path / 'epoch_1.pth'
    torch.save({'meta': {}, 'state_dict': model.state_dict()}, path)
    teacher = MODELS.build(dict(type='ImageClassifier', **PARTS))
    assert set(strip_paco_training_state(model.state_dict())) == set(teacher.state_dict())
    load_teacher_checkpoint(teacher, path)
    images = torch.randn(2, 3, 16, 16)
    model.eval(), teacher.eval()
    with torch.no_grad():
        torch.testing.assert_close(teacher(images, mode='tensor'), model(images, mode='tensor'),
                                   rtol=0, atol=0)
    # A PaCoClassifier loads the whole checkpoint (e.g. to evaluate it with its config).
    again = build_paco(seed=3)
    load_teacher_checkpoint(again, path)
    assert torch.equal(again.queue, model.queue)


def test_training_needs_two_views():
    model = build_paco()
    batch = dict(inputs=[torch.randint(0, 256, (3, 16, 16), dtype=torch.uint8)] * BATCH,
                 data_samples=[DataSample().set_gt_label(0) for _ in range(BATCH)])
    with pytest.raises(ValueError, match='two views per image.*MultiView'):
        model(**model.data_preprocessor(batch, training=True), mode='loss')


def _ddp_rank(rank, out_dir):
    """One of two gloo ranks: two SAM steps of the same model on different batches."""
    import torch.distributed as dist
    from mmengine.registry import init_default_scope

    from deitlt_mm.engine.model_wrappers import DeviceAwareDistributedDataParallel
    init_default_scope('deitlt_mm')  # a spawned process has not run conftest.py
    dist.init_process_group('gloo', init_method=f'file://{out_dir}/store', rank=rank,
                            world_size=2)
    try:
        model = build_paco(queue_size=16, momentum=0.25, seed=0)  # same weights on both
        ddp = DeviceAwareDistributedDataParallel(model, broadcast_buffers=False)
        wrapper = optimizer(model, type='SAMOptimWrapper', rho=0.5)
        steps = []
        for step in range(2):
            ddp.train_step(two_view_batch(10 * step + rank), wrapper)
            steps.append((model.last_key_step.keys, model.last_key_step.labels))
        # Shuffle BN across ranks and back: with BN on running statistics (eval, the same
        # on both ranks), keys do not depend on the batch, so shuffled and plain encoding
        # must agree.
        images = torch.randn(BATCH, 3, 16, 16, generator=torch.Generator().manual_seed(rank))
        model.momentum_encoder.eval()
        for buffer in model.momentum_encoder.module.buffers():
            dist.broadcast(buffer, src=0)
        shuffled = model._encode_keys(images)
        plain = model._embed(model.momentum_encoder.module, images)
        torch.save(dict(state=model.state_dict(), steps=steps, shuffled=shuffled, plain=plain),
                   f'{out_dir}/rank{rank}.pth')
    finally:
        dist.destroy_process_group()


def test_two_rank_ddp_pushes_all_ranks_keys_and_stays_in_sync(tmp_path):
    import torch.multiprocessing as mp

    # Spawned, not forked: a child forked from a pytest process whose OpenMP pool has
    # already run deadlocks in its first parallel region (it hung CI on 2 cores).
    mp.spawn(_ddp_rank, args=(str(tmp_path),), nprocs=2, join=True)
    rank0, rank1 = (torch.load(tmp_path / f'rank{r}.pth', weights_only=False) for r in (0, 1))
    # Weights, key encoder and queue are the same on both ranks; BatchNorm running
    # statistics are per rank (the runtime's DDP does not broadcast buffers).
    for name, value in rank0['state'].items():
        if 'running_' not in name and 'num_batches_tracked' not in name:
            assert torch.equal(value, rank1['state'][name]), name
    queue, labels = rank0['state']['queue'], rank0['state']['queue_labels']
    for step in range(2):  # rank 0's keys, then rank 1's, at the step's pointer
        (keys0, labels0), (keys1, labels1) = rank0['steps'][step], rank1['steps'][step]
        block = slice(2 * BATCH * step, 2 * BATCH * (step + 1))
        torch.testing.assert_close(queue[block], torch.cat([keys0, keys1]))
        assert torch.equal(labels[block], torch.cat([labels0, labels1]))
    assert int(rank0['state']['queue_ptr']) == 0  # 2 steps x global batch 8 = K
    assert int(rank0['state']['momentum_encoder.steps']) == 2
    for rank in (rank0, rank1):
        torch.testing.assert_close(rank['shuffled'], rank['plain'])
