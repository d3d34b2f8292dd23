"""Every bad input stops with one line (``error: ...``), as docs/bad_inputs.md lists them.

Part 1 produces each documented message with the code that raises it and checks it
against the table, so the table's messages are the real ones. Part 2 runs the tools
(in this process: ``main()`` raises ``SystemExit('error: ...')``, which Python prints
as that one line with exit status 1) on the bad inputs of a run: nothing is trained,
written or executed that should not be.
"""
import copy
import errno
import json
import os
import re
import sys
import time
import warnings
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MessageHub

from deitlt_mm.analysis.attention_distance import vit_backbone
from deitlt_mm.analysis.run_summary import find_results_files
from deitlt_mm.analysis.test_set import long_tail_metric
from deitlt_mm.apis import DeiTLTInferencer, export_timm_checkpoint, publish_checkpoint
from deitlt_mm.datasets import RandomImageDataset
from deitlt_mm.datasets.class_map import save_class_map
from deitlt_mm.datasets.class_map_file import check_teacher_class_map
from deitlt_mm.engine.hooks import NonFiniteCheckHook, NumClassesCheckHook
from deitlt_mm.engine.optimizers import mixed_precision
from deitlt_mm.fileio import (
    atomic_write,
    check_writable,
    load_checkpoint_file,
    resolve_checkpoint_path,
)
from deitlt_mm.models.utils import extract_state_dict, load_converted_state_dict
from deitlt_mm.models.utils.timm_export import to_timm_deit_state_dict
from deitlt_mm.registry import DATASETS, MODELS
from deitlt_mm.runtime import vis_backends
from deitlt_mm.runtime.config import check_cfg_options, load_config, prepare_cfg
from deitlt_mm.runtime.env import use_weights_only_local_loader
from deitlt_mm.runtime.rank_watchdog import RankWatchdog
from deitlt_mm.runtime.slurm import set_torch_env_from_slurm
from deitlt_mm.runtime.work_dir_lock import hold_work_dir
from tests._data_roots import defect_message
from tests._http_server import serve_folder
from tests._stub_data import write_cifar
from tests._tools import load_tool

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / 'docs' / 'bad_inputs.md'
SMOKE = str(REPO / 'configs' / 'smoke' / 'tiny_resnet_random_lt.py')
PAPER_STUDENT = str(REPO / 'configs' / 'deitlt' / 'deitlt_b_cifar10_if100.py')
IMAGENET_LT = str(REPO / 'configs' / 'deitlt' / 'deitlt_b_imagenetlt.py')


def documented_messages():
    """``{id: regex}`` of the table: ``<...>`` placeholders match any text."""
    rows = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip('|').split(' | ')]
        if len(cells) == 5 and re.fullmatch(r'`[a-z-]+`', cells[0]):
            message = re.fullmatch(r'``? ?(.*?) ?``?', cells[3]).group(1)
            pattern = re.sub(r'<[^<>]+>', '.+', re.escape(message).replace(r'\<', '<').replace(
                r'\>', '>'))
            rows[cells[0].strip('`')] = pattern
    return rows


class _RunsShell:
    def __reduce__(self):
        return (os.system, ('touch ran-code',))


def _raised(function, *args, **kwargs):
    with pytest.raises(Exception) as error:
        function(*args, **kwargs)
    return str(error.value)


def _fake_runner(iteration=6, last_ckpt='work_dirs/x/epoch_1.pth'):
    hub = MessageHub(name=f'bad_inputs_{iteration}')
    hub.update_info('last_ckpt', last_ckpt)
    return SimpleNamespace(iter=iteration, epoch=1, message_hub=hub)


def _classifier(classes):
    model = nn.Module()
    model.head = nn.Module()
    model.head.fc = nn.Linear(2, classes)
    model.head.num_classes = classes
    return model


def _student(head_classes=4, teacher_classes=4, **kwargs):
    """A tiny DistillClassifier config with a ResNet teacher (no weights)."""
    return dict(
        type='DistillClassifier',
        backbone=dict(type='DistilledVisionTransformer',
                      arch=dict(embed_dims=16, num_layers=1, num_heads=2), img_size=8,
                      patch_size=4),
        head=dict(type='DualHead', num_classes=head_classes, in_channels=16),
        teacher=dict(type='ImageClassifier', backbone=dict(type='ResNetCifarOptionA', depth=8),
                     neck=dict(type='GlobalAveragePooling'),
                     head=dict(type='LinearClsHead', num_classes=teacher_classes,
                               in_channels=64)),
        **kwargs)


def _class_map_file(path, classes):
    save_class_map(path, {label: label for label in range(classes)}, [1] * classes)
    return str(path)


def _two_maps():
    cfg = load_config(IMAGENET_LT)
    cfg.train_dataloader.dataset.data_root = 'elsewhere'
    return _raised(check_teacher_class_map, cfg)


def _disk_full(tmp_path, monkeypatch):
    def fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, 'fsync', fsync)
    message = _raised(atomic_write, tmp_path / 'epoch_3.pth', b'weights')
    monkeypatch.undo()
    return message


def _saved(path, legacy=False, **extra):
    torch.save({'state_dict': {'w': torch.ones(300)}, **extra}, path,
               _use_new_zipfile_serialization=not legacy)
    return path


def _weights_only_env_warning(monkeypatch):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        use_weights_only_local_loader()
    return str(caught[0].message)


def _download_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    with serve_folder(tmp_path) as base:
        return _raised(load_checkpoint_file, f'{base}/no_such_teacher.pth.tar')


def _work_dir_in_use(tmp_path):
    work = tmp_path / 'locked'
    with hold_work_dir(str(work)):  # this process holds it: a live run
        return _raised(lambda: hold_work_dir(str(work)).__enter__())


def _rank_stopped():
    watchdog = RankWatchdog.__new__(RankWatchdog)
    watchdog.rank, watchdog.world_size, watchdog.timeout_s, watchdog.seen = 0, 2, 0.0, {}
    watchdog.store = torch.distributed.HashStore()
    watchdog.store.set('beat/1', json.dumps(dict(count=3, pid=4321, host='node2',
                                                 phase='training epoch 3, iteration 120')))
    assert watchdog._check() is None  # first sight of the heartbeat
    time.sleep(0.01)
    return watchdog._check()


def _store_unreachable():
    watchdog = RankWatchdog.__new__(RankWatchdog)
    watchdog.rank = 1
    return watchdog.unreachable(RuntimeError('Connection reset by peer'))


def _amp_on(monkeypatch, device_type, dtype):
    """Mixed precision asked on a CPU without bf16 instructions (through tools/train.py's
    --amp) or for bf16 on a V100 (CUDA queries stubbed)."""
    with monkeypatch.context() as patch:
        patch.setattr(mixed_precision, 'cpu_supports_bf16', lambda: False)
        patch.setattr(torch.cuda, 'get_device_capability', lambda device=None: (7, 0))
        patch.setattr(torch.cuda, 'get_device_name', lambda device=None: 'Tesla V100')
        if device_type == 'cuda':
            return _raised(mixed_precision.resolve_autocast_dtype, 'cuda', dtype)
        patch.setattr(torch.cuda, 'is_available', lambda: False)
        args = load_tool('train.py').parse_args([SMOKE, '--amp'])
        return _raised(prepare_cfg, load_config(SMOKE), args)


def producers(tmp_path, monkeypatch):
    """``{id: () -> message}``: the real code behind every row of the table."""
    (tmp_path / 'a_file').write_text('x')
    good = _saved(tmp_path / 'good.pth')
    (tmp_path / 'cut.pth').write_bytes(good.read_bytes()[:200])
    legacy = _saved(tmp_path / 'legacy.pth', legacy=True).read_bytes()
    (tmp_path / 'cut_legacy.pth').write_bytes(legacy[:40])
    (tmp_path / 'cut_data.pth').write_bytes(legacy[:-100])
    monkeypatch.chdir(tmp_path)
    paper = load_config(PAPER_STUDENT)
    four_classes = SimpleNamespace(dataset=RandomImageDataset(class_counts=[1] * 4, img_size=4))
    return {
        'config-missing': lambda: _raised(load_config, 'configs/nope.py'),
        'amp-cpu-no-bfloat': lambda: _amp_on(monkeypatch, 'cpu', 'auto'),
        'amp-gpu-no-bfloat': lambda: _amp_on(monkeypatch, 'cuda', 'bfloat16'),
        'cfg-unknown': lambda: _raised(check_cfg_options, paper, {'max_epoch': 1}),
        'cfg-variable': lambda: _raised(check_cfg_options, paper, {'max_epochs': 2}),
        'num-classes': lambda: _raised(NumClassesCheckHook().before_train, SimpleNamespace(
            model=_classifier(10), train_dataloader=four_classes, val_loop=None)),
        'nan-loss': lambda: _raised(NonFiniteCheckHook().after_train_iter, _fake_runner(), 2,
                                    outputs=dict(loss_cls=torch.tensor(float('nan')))),
        'nan-weights': lambda: _raised(
            NonFiniteCheckHook().before_save_checkpoint, _fake_runner(),
            dict(state_dict={'head.fc.weight': torch.tensor(float('inf'))})),
        'dataset-missing': lambda: _raised(DATASETS.build, dict(
            type='CIFAR10LT', data_root='data/cifar10', download=False)),
        'ckpt-missing': lambda: _raised(load_checkpoint_file, 'work_dirs/x/epoch_9.pth'),
        'ckpt-workdir-empty': lambda: _raised(resolve_checkpoint_path, tmp_path),
        'best-ckpt-missing': lambda: _raised(resolve_checkpoint_path, tmp_path, 'best'),
        'work-dir-in-use': lambda: _work_dir_in_use(tmp_path),
        'rank-stopped': _rank_stopped,
        'store-unreachable': _store_unreachable,
        'teacher-missing': lambda: _raised(MODELS.build, dict(
            type='DistillClassifier', backbone=dict(type='ResNetCifarOptionA', depth=8),
            teacher=dict(type='ImageClassifier'), teacher_checkpoint='teachers/r32.pth')),
        'ckpt-download': lambda: _download_missing_file(tmp_path, monkeypatch),
        'ckpt-corrupt': lambda: _raised(load_checkpoint_file, 'cut.pth'),
        'ckpt-corrupt-legacy': lambda: _raised(load_checkpoint_file, 'cut_legacy.pth'),
        'ckpt-unreadable': lambda: _raised(load_checkpoint_file, 'cut_data.pth'),
        'ckpt-code': lambda: _raised(load_checkpoint_file,
                                     _saved(tmp_path / 'code.pth', hook=_RunsShell())),
        'ckpt-code-legacy': lambda: _raised(load_checkpoint_file, _saved(
            tmp_path / 'code_legacy.pth', legacy=True, hook=_RunsShell())),
        'weights-only-env': lambda: _weights_only_env_warning(monkeypatch),
        'ckpt-no-weights': lambda: _raised(extract_state_dict, {'meta': {}}, 'x.pth'),
        'ckpt-classes': lambda: _raised(load_converted_state_dict, _classifier(4), {
            'head.fc.weight': torch.zeros(10, 2), 'head.fc.bias': torch.zeros(10)}, 'x.pth'),
        'ckpt-keys': lambda: _raised(load_converted_state_dict, nn.Linear(2, 2), {
            'weight': torch.zeros(2, 2), 'head.weight': torch.zeros(2)}, 'x.pth'),
        'ckpt-shapes': lambda: _raised(load_converted_state_dict, nn.Linear(2, 2), {
            'weight': torch.zeros(2, 3), 'bias': torch.zeros(3)}, 'x.pth'),
        'out-unwritable': lambda: _raised(check_writable, 'a_file/sub/r.json', what='--out'),
        'out-not-folder': lambda: _raised(check_writable, 'a_file/r.json', what='--out'),
        'disk-full': lambda: _disk_full(tmp_path, monkeypatch),
        'teacher-classes': lambda: _raised(MODELS.build, _student(4, 5)),
        'teacher-map-needed': lambda: _raised(MODELS.build, _student(
            teacher_label_order='original')),
        'teacher-map-missing': lambda: _raised(MODELS.build, _student(
            teacher_label_order='original', teacher_class_map_file='data/x/class_map.json')),
        'teacher-map-classes': lambda: _raised(MODELS.build, _student(
            teacher_label_order='original',
            teacher_class_map_file=_class_map_file(tmp_path / 'map3.json', 3))),
        'teacher-two-maps': _two_maps,
        'vis-backend-package': _missing_package,
        'analysis-backbone': lambda: _raised(vit_backbone, _classifier(4), 'teacher.py'),
        'analysis-groups': lambda: _raised(long_tail_metric, Config(dict(
            test_evaluator=dict(type='Accuracy')))),
        'results-not-file': lambda: _raised(find_results_files, [str(tmp_path / 'a_file')]),
        'results-none': lambda: _raised(find_results_files, [str(tmp_path)]),
        'results-missing': lambda: _raised(find_results_files, [str(tmp_path / 'nope.json')]),
        'image-unreadable': lambda: _raised(_reader_of(paper, 'ImageNetLT'), 'dog.jpg'),
        'publish-not-training': lambda: _raised(publish_checkpoint, good, tmp_path / 'pub'),
        'publish-out-unwritable': lambda: _raised(publish_checkpoint, good,
                                                  tmp_path / 'a_file' / 'sub' / 'out'),
        'timm-not-student': lambda: _raised(to_timm_deit_state_dict, {
            'head.fc.weight': torch.zeros(2, 2)}, 'baseline.pth'),
        'timm-num-heads': lambda: _raised(export_timm_checkpoint, _saved_student(tmp_path),
                                          tmp_path / 'student_timm.pth'),
        'slurm-outside-srun': lambda: _raised(set_torch_env_from_slurm, {}),
        'dataset-download': lambda: _download_fails(monkeypatch, tmp_path / 'offline'),
        'cifar-checksum': lambda: write_cifar(tmp_path / 'c10', 10) or _raised(
            DATASETS.build, dict(type='CIFAR10LT', data_root=str(tmp_path / 'c10'))),
        'list-missing': lambda: _raised(DATASETS.build, dict(type='ImageNetLT',
                                                             data_root='data/in')),
        **{f'data-{kind}': partial(defect_message, tmp_path / kind, kind) for kind in (
            'labels', 'count', 'classes', 'images-missing', 'image-undecodable')},
    }


def _saved_student(tmp_path):
    """A tiny DeiT-LT student's plain state dict (no config with it)."""
    path = tmp_path / 'student_weights.pth'
    student = _student()
    student.pop('teacher')
    student['head']['loss'] = dict(type='DRWDistillLoss', distillation_type='none')
    torch.save(MODELS.build(student).state_dict(), path)
    return path


def _download_fails(monkeypatch, root):
    with monkeypatch.context() as patch:  # port 9 (discard) refuses: no network needed
        patch.setattr(DATASETS.get('CIFAR10LT'), 'url', 'http://127.0.0.1:9/c10.tar.gz')
        return _raised(DATASETS.build, dict(type='CIFAR10LT', data_root=str(root)))


def _missing_package():
    cfg = Config(dict(visualizer=dict(vis_backends=[dict(type='WandbVisBackend')])))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(vis_backends.importlib.util, 'find_spec', lambda name: None)
        return _raised(vis_backends.check_vis_backends, cfg)


def _reader_of(cfg, dataset_type):
    """The inferencer's image reader for ``cfg`` with a test set of ``dataset_type``."""
    cfg = copy.deepcopy(cfg)
    cfg.test_dataloader.dataset = dict(type=dataset_type, pipeline=[])
    inferencer = DeiTLTInferencer.__new__(DeiTLTInferencer)
    inferencer.pipeline = inferencer._init_pipeline(cfg)
    return inferencer.load_image


def test_every_documented_message_is_the_real_one(tmp_path, monkeypatch):
    documented = documented_messages()
    produced = producers(tmp_path, monkeypatch)
    assert set(documented) == set(produced)
    for row, produce in produced.items():
        message = produce()
        assert '\n' not in message, row
        assert re.fullmatch(documented[row], message), f'{row}: {message!r}'
    assert not (tmp_path / 'ran-code').exists()


# Part 2: the tools on the bad inputs of a run.

def _tool(name):
    sys.path.insert(0, str(REPO / 'tools'))
    try:
        return __import__(name)
    finally:
        sys.path.pop(0)


def run_tool(name, *argv):
    """``main(argv)`` of tools/<name>.py with one thread: ``None``, or the error line."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _tool(name).main([str(arg) for arg in argv])
    except SystemExit as exit_info:
        assert isinstance(exit_info.code, str) and exit_info.code.startswith('error: ')
        assert '\n' not in exit_info.code
        return exit_info.code[len('error: '):]
    finally:
        torch.set_num_threads(threads)
    return None


@pytest.fixture(scope='module')
def smoke_checkpoint(tmp_path_factory):
    work = tmp_path_factory.mktemp('smoke')
    assert run_tool('train', SMOKE, '--work-dir', work, '--cfg-options', 'log_level=WARNING',
                    'train_cfg.max_epochs=1') is None
    return work / 'epoch_1.pth'


def test_train_stops_at_the_first_nan_loss_and_saves_nothing_non_finite(tmp_path):
    message = run_tool('train', SMOKE, '--work-dir', tmp_path, '--cfg-options',
                       'log_level=WARNING', 'optim_wrapper.optimizer.lr=1e30',
                       'default_hooks.checkpoint.by_epoch=False')
    assert re.fullmatch(r'non-finite loss at iteration 2 \(epoch 1, batch 2\): loss = (nan|inf)'
                        r'; training stopped before saving it. The last checkpoint is '
                        + re.escape(str(tmp_path / 'iter_1.pth')) + '.*', message), message
    saved = sorted(path.name for path in tmp_path.glob('*.pth'))
    assert saved == ['iter_1.pth']
    weights = torch.load(tmp_path / 'iter_1.pth', map_location='cpu')['state_dict']
    assert all(torch.isfinite(value).all() for value in weights.values())


def test_train_checks_class_counts_before_the_first_iteration(tmp_path):
    message = run_tool('train', SMOKE, '--work-dir', tmp_path, '--cfg-options',
                       'model.head.num_classes=10', 'data_preprocessor.num_classes=10')
    assert message.startswith('class count mismatch: the training dataset (RandomImageDataset) '
                              'has 4 classes but model.head.num_classes = 10, '
                              'model.data_preprocessor.num_classes = 10; set them to 4')
    assert not list(tmp_path.glob('*.pth'))
    log = next(tmp_path.glob('*/*.log')).read_text()
    assert 'Epoch(train)' not in log
    assert 'Traceback' in log  # the details stay in the run's log


def test_train_on_a_full_disk_names_the_checkpoint_and_leaves_nothing_half_written(
        tmp_path, monkeypatch):
    def fsync(fd):
        if os.readlink(f'/proc/self/fd/{fd}').endswith('.tmp'):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, 'fsync', fsync)
    message = run_tool('train', SMOKE, '--work-dir', tmp_path, '--cfg-options',
                       'log_level=WARNING')
    assert message == (f'could not write {tmp_path / "epoch_1.pth"}: [Errno 28] No space left '
                       'on device; the previous file, if any, is unchanged')
    assert not [p for p in os.listdir(tmp_path) if p.endswith(('.pth', '.tmp'))]
    assert not (tmp_path / 'last_checkpoint').exists()


def test_train_refuses_an_unknown_option_before_building_anything(tmp_path):
    message = run_tool('train', SMOKE, '--work-dir', tmp_path, '--cfg-options', 'max_epoch=1')
    assert message.endswith('did you mean `train_cfg.max_epochs`?')
    assert not tmp_path.exists() or not os.listdir(tmp_path)


def test_test_tool_loads_strictly(tmp_path, smoke_checkpoint):
    # A checkpoint of another model: mmengine's load_from would test random weights.
    other = torch.load(smoke_checkpoint, map_location='cpu')
    other['state_dict'] = {('backbone.extra.' + k if 'layer3' in k else k): v
                           for k, v in other['state_dict'].items()}
    torch.save(other, tmp_path / 'other.pth')
    message = run_tool('test', SMOKE, tmp_path / 'other.pth', '--work-dir', tmp_path,
                       '--cfg-options', 'log_level=WARNING')
    renamed = sum('layer3' in key for key in other['state_dict'])
    assert message.startswith(f'{tmp_path / "other.pth"}: keys do not match the model; '
                              "missing ['backbone.layer3.0.bn1.bias', ")
    assert f'... {renamed} in all], unexpected [' in message


def test_test_tool_checks_out_and_the_checkpoint_before_testing(tmp_path, smoke_checkpoint):
    (tmp_path / 'a_file').write_text('x')
    message = run_tool('test', SMOKE, smoke_checkpoint, '--work-dir', tmp_path / 'w',
                       '--out', tmp_path / 'a_file' / 'results.json')
    assert message.startswith(f'--out {tmp_path}/a_file/results.json: {tmp_path}/a_file is a '
                              'file, not a folder')
    assert not (tmp_path / 'w').exists()  # stopped before the runner was built

    data = smoke_checkpoint.read_bytes()
    (tmp_path / 'cut.pth').write_bytes(data[:len(data) // 3])
    message = run_tool('test', SMOKE, tmp_path / 'cut.pth', '--work-dir', tmp_path / 'w')
    assert message.startswith(f'cannot read checkpoint {tmp_path / "cut.pth"}: the file is '
                              'truncated or corrupt')


def test_code_in_a_checkpoint_never_runs_even_with_weights_only_forced_off(
        tmp_path, monkeypatch, smoke_checkpoint):
    checkpoint = torch.load(smoke_checkpoint, map_location='cpu')
    checkpoint['meta']['hook'] = _RunsShell()
    torch.save(checkpoint, tmp_path / 'code.pth')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    refused = f'refusing to load {tmp_path / "code.pth"}: it pickles posix.system'
    assert run_tool('test', SMOKE, tmp_path / 'code.pth', '--work-dir', tmp_path).startswith(
        refused)
    assert run_tool('train', SMOKE, '--work-dir', tmp_path, '--resume', tmp_path / 'code.pth',
                    '--cfg-options', 'log_level=WARNING').startswith(refused)
    assert not (tmp_path / 'ran-code').exists()
