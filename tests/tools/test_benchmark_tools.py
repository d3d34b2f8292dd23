"""tools/benchmark/: train_step.py, teacher_layout.py and gpu_check.{py,sh} at tiny sizes on
CPU, FLOP counting."""
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from deitlt_mm.engine.optimizers import cpu_supports_bf16, mixed_precision
from deitlt_mm.registry import MODELS
from tests._runner_configs import TINY_PIPELINE_OPTIONS, write_tiny_smoke_student

REPO = Path(__file__).resolve().parents[2]
BENCHMARK = REPO / 'tools' / 'benchmark'
TINY = ['--arch', '32,1,2', '--img-size', '32', '--patch-size', '8', '--batch-size', '2',
        '--num-classes', '4']


def import_benchmark(name):
    """A module of tools/benchmark/ (scripts that import each other by file name)."""
    sys.path.insert(0, str(BENCHMARK))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARK))


@pytest.fixture(scope='module')
def tools():
    return import_benchmark('train_step'), import_benchmark('gpu_check')


@pytest.fixture(scope='module')
def teacher_layout():
    return import_benchmark('teacher_layout')


def test_train_step_prints_every_step_and_both_pipelines(tools, capsys, monkeypatch):
    train_step, _ = tools
    # bf16 steps on any CPU (emulated where the CPU lacks bf16: timing, not speed, is tested).
    monkeypatch.setattr(mixed_precision, 'cpu_bf16_instructions', lambda: ['AVX512-BF16'])
    train_step.main([*TINY, '--warmup', '0', '--repeats', '1', '--pipeline-images', '2',
                     '--steps', 'reference:fp32', 'ours:fp32', 'reference:bf16', 'ours:bf16',
                     'ours:fp32+compile', '--compile-backend', 'eager', '--threads', '1'])
    out = capsys.readouterr().out
    rows = dict(re.findall(r'^\| ([a-z0-9 +]+) \| [\d.]+ \| [\d.]+ \| ([\d.]+)x \|$', out, re.M))
    assert list(rows) == ['reference fp32', 'ours fp32', 'reference bf16', 'ours bf16',
                          'ours fp32 + compile']
    assert rows['reference fp32'] == '1.00' and all(float(v) > 0 for v in rows.values())
    assert re.search(r'^fastest of ours: ours .*, [\d.]+x reference fp32$', out, re.M)
    pipelines = re.findall(r'^\| (timm create_transform \(reference\)|ours \(mmpretrain '
                           r'pipeline\)) \| [\d.]+ \| ([\d.]+)x \|$', out, re.M)
    assert [name for name, _ in pipelines] == ['timm create_transform (reference)',
                                               'ours (mmpretrain pipeline)']
    assert 'ResNet32 teacher at 32 px' in out and 'batch 2' in out


def test_teacher_layout_times_both_layouts_of_the_same_weights(teacher_layout, capsys):
    teacher_layout.main(['--batch-size', '4', '--img-size', '16', '--warmup', '0',
                         '--repeats', '1', '--threads', '1'])
    out = capsys.readouterr().out
    rows = re.findall(r'^\| (train step|frozen forward) \| (contiguous|channels_last) \| '
                      r'[\d.]+ \| ([\d.]+)x \|$', out, re.M)
    assert [(task, layout) for task, layout, _ in rows] == [
        ('train step', 'contiguous'), ('train step', 'channels_last'),
        ('frozen forward', 'contiguous'), ('frozen forward', 'channels_last')]
    assert rows[0][2] == rows[2][2] == '1.00'
    # Same weights, other memory order: the logits agree to float rounding.
    diff = float(re.search(r'difference between the layouts \(eval mode\): (\S+)$', out,
                           re.M).group(1))
    assert diff < 1e-3


@pytest.mark.parametrize('text,message', [
    ('ours', 'IMPL:PRECISION'), ('reference:bf16+compile', '+compile for ours only'),
    ('ours:fp16', 'PRECISION in')])
def test_train_step_rejects_bad_steps(tools, capsys, text, message):
    with pytest.raises(SystemExit):
        tools[0].parse_args(['--steps', text])
    assert message in capsys.readouterr().err


def test_counted_flops_match_the_analytic_vit_count(tools):
    # Forward: patch projection + per block qkv, QK^T, AV, proj, 2 MLP linears (2 FLOPs
    # per multiply-add). Backward: twice each, except the patch projection's input grad,
    # plus QK^T once more (torch counts flash attention recomputing the scores).
    _, gpu_check = tools
    dims, layers, heads, size, patch, batch = 32, 2, 2, 32, 8, 3
    backbone = MODELS.build(dict(type='DistilledVisionTransformer', img_size=size,
                                 patch_size=patch,
                                 arch=dict(embed_dims=dims, num_layers=layers, num_heads=heads)))
    images = torch.randn(batch, 3, size, size)
    patches = (size // patch)**2
    tokens, hidden = patches + 2, 4 * dims
    embed = 2 * patches * dims * 3 * patch * patch
    block = 2 * tokens * dims * (3 * dims + dims + 2 * hidden) + 4 * tokens * tokens * dims
    forward = batch * (embed + layers * block)
    with torch.no_grad():
        assert gpu_check.count_step_flops(lambda x: backbone(x), images) == forward

    def train(x):
        cls_feat, dist_feat = backbone(x)
        (cls_feat.sum() + dist_feat.sum()).backward()

    recompute = batch * layers * 2 * tokens * tokens * dims
    assert gpu_check.count_step_flops(train, images) == 3 * forward - batch * embed + recompute


def write_scalars(work_dir, times, data_times):
    run = work_dir / '20260101_000000' / 'vis_data'
    run.mkdir(parents=True)
    records = [dict(loss=2.0 - i / 10, time=t, data_time=d, iter=i + 1, step=i + 1)
               for i, (t, d) in enumerate(zip(times, data_times))]
    records.append(dict(time=9.0, data_time=1.0, step=len(times)))  # a validation record
    (run / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in records))
    (work_dir / 'cfg.py').write_text('train_dataloader = dict(batch_size=16)\n')


def test_dist_summary_medians_after_the_warmup(tools, tmp_path, capsys):
    _, gpu_check = tools
    write_scalars(tmp_path, [5.0, 1.0, 1.0, 1.0, 1.0, 0.4, 0.5, 0.6],
                  [2.0, 0, 0, 0, 0, 0.1, 0.2, 0.3])
    summary = gpu_check.dist_summary(str(tmp_path))
    assert summary == dict(iters=8, median_of=3, time_s=0.5, data_time_s=0.2, loss=1.3,
                           batch_size=16, img_per_s=32.0)
    assert 'dist_train: 8 iterations, median of the last 3: 0.5 s/iter' in capsys.readouterr().out




@pytest.mark.parametrize('capability, dtype, scaling', [
    ((9, 0), 'bfloat16', 'no loss scaling'), ((7, 0), 'float16', 'dynamic loss scaling')])
def test_gpu_check_device_info_names_the_autocast_dtype(tools, monkeypatch, capsys,
                                                        capability, dtype, scaling):
    _, gpu_check = tools
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 2)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda device=None: 'NVIDIA Test GPU')
    monkeypatch.setattr(torch.cuda, 'get_device_capability', lambda device=None: capability)
    info = gpu_check.device_info('cuda')
    assert info['autocast'] == dtype and info['gpus'] == 2
    major, minor = capability
    assert capsys.readouterr().out == (
        f'gpu_check: device: NVIDIA Test GPU, compute capability {major}.{minor}, 2 GPU(s) '
        f'visible; autocast {dtype} (choose_autocast_dtype), {scaling}\n')


def test_gpu_check_device_info_without_cuda_is_one_line(tools, monkeypatch):
    _, gpu_check = tools
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit, match='--device cuda, but torch sees no CUDA device'):
        gpu_check.device_info('cuda')


def write_step_log(path, step_ms, precision):
    summary = dict(precision=precision, step_ms=step_ms, img_per_s=1.0)
    path.write_text(f'gpu_check: train step ({precision}): {step_ms} ms\n'
                    f'gpu_check: {json.dumps(dict(other=1))}\n'
                    f'gpu_check: {json.dumps(summary)}\n')
    return str(path)


def test_gpu_check_precision_summary_is_the_bf16_speedup(tools, tmp_path, capsys):
    _, gpu_check = tools
    logs = [write_step_log(tmp_path / f'{name}.log', ms, name)
            for name, ms in (('bf16', 100.0), ('fp32', 350.0), ('tf32', 160.0))]
    summary = gpu_check.precision_summary(*logs)
    assert summary == dict(bf16_ms=100.0, fp32_ms=350.0, speedup_over_fp32=3.5,
                           fp32_tf32_ms=160.0, speedup_over_fp32_tf32=1.6)
    assert ('gpu_check: bf16 step (100.0 ms): 3.50x faster than fp32 (350.0 ms), 1.60x '
            'faster than fp32 + TF32 (160.0 ms)') in capsys.readouterr().out
    # A part that failed (no JSON line) is named, the others still compared.
    (tmp_path / 'tf32.log').write_text('gpu_check: tf32 step FAILED\n')
    assert gpu_check.precision_summary(*logs) == dict(
        bf16_ms=100.0, fp32_ms=350.0, speedup_over_fp32=3.5)
    assert 'no step figures for fp32 + TF32' in capsys.readouterr().out


def write_run_log(work_dir, stamp, epochs, resumed=None):
    run = work_dir / stamp
    run.mkdir(parents=True)
    lines = [f'{stamp} - mmengine - INFO - resumed epoch: {resumed}, iter: 12'] if resumed else []
    lines += [f'{stamp} - mmengine - INFO - Epoch(train)  [{e}][2/6]  lr: 5e-02  loss: 1.3'
              for e in epochs]
    lines += [f'{stamp} - mmengine - INFO - Epoch(val) [{e}][2/2]  accuracy/top1: 25.0'
              for e in epochs]
    (run / f'{stamp}.log').write_text('\n'.join(lines) + '\n')


def test_gpu_check_resume_summary_checks_the_epochs(tools, tmp_path, capsys):
    _, gpu_check = tools
    write_run_log(tmp_path / 'ok', '20260101_000000', [1])
    write_run_log(tmp_path / 'ok', '20260101_000010', [2], resumed=1)
    assert gpu_check.resume_summary(str(tmp_path / 'ok')) == dict(
        first_epochs=[1], second_epochs=[2], resumed=(1, 12), continued=True)
    assert ('gpu_check: resume: first run trained epoch(s) [1]; resumed at epoch 1, '
            'iteration 12; second run trained epoch(s) [2]: continued'
            ) in capsys.readouterr().out
    # Started afresh instead of resuming: epoch 1 again, no "resumed" line.
    write_run_log(tmp_path / 'fresh', '20260101_000000', [1])
    write_run_log(tmp_path / 'fresh', '20260101_000010', [1, 2])
    assert not gpu_check.resume_summary(str(tmp_path / 'fresh'))['continued']
    assert 'did NOT continue' in capsys.readouterr().out
    with pytest.raises(SystemExit, match='1 run log'):
        write_run_log(tmp_path / 'one', '20260101_000000', [1])
        gpu_check.resume_summary(str(tmp_path / 'one'))


def test_gpu_check_val_arguments_are_checked(tools, capsys):
    _, gpu_check = tools
    args = gpu_check.parse_args(['val', '--device', 'cpu', '--batches', '3'])
    assert (args.batches, args.batch_size, args.num_classes, args.warmup) == (3, 256, 1000, 2)
    with pytest.raises(SystemExit):
        gpu_check.parse_args(['val', '--batches', '0'])
    assert '--batches must be >= 1' in capsys.readouterr().err
    assert gpu_check.parse_args(['step', '--precision', 'tf32']).precision == 'tf32'


def test_gpu_check_runs_end_to_end_in_cpu_mode(tmp_path):
    # Everything the GPU run does, at tiny sizes on CPU: the step part (bf16 where the
    # CPU has it, SAM AMP, eager-backend compile), dist_train.sh with the smoke config
    # (gloo instead of NCCL), the summary. Compilation itself is the CUDA run's.
    config = write_tiny_smoke_student(tmp_path / 'tiny_gpu_check.py')
    bf16 = cpu_supports_bf16()
    env = dict(
        os.environ, OMP_NUM_THREADS='1', PORT='29563', GPU_CHECK_DEVICE='cpu',
        GPU_CHECK_ITERS='2', GPU_CHECK_CONFIG=str(config), GPU_CHECK_COMPILE='0',
        GPU_CHECK_AMP='1' if bf16 else '0',
        GPU_CHECK_STEP_ARGS=' '.join([*TINY, '--warmup', '0', '--sam-steps', '1', '--compile',
                                      '--compile-backend', 'eager']),
        GPU_CHECK_CFG_OPTIONS=' '.join(TINY_PIPELINE_OPTIONS),
        GPU_CHECK_VAL_ARGS=' '.join([*TINY, '--batches', '2', '--warmup', '0']))
    proc = subprocess.run(['bash', str(BENCHMARK / 'gpu_check.sh'), str(tmp_path / 'work')],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    summary = proc.stdout[proc.stdout.index('== gpu_check summary'):]
    precision = 'bf16' if bf16 else 'fp32'
    assert re.search(rf'^gpu_check: train step \({precision}\): [\d.]+ ms median of 2, [\d.]+ '
                     r'img/s, [\d.]+ GFLOP/step counted, .* MFU [\d.]+ % of 989.0', summary, re.M)
    if bf16:
        assert 'gpu_check: SAM AMP step 1 (bfloat16):' in summary
        assert 'teacher forward x1' in summary and 'weights moved' in summary
        assert 'gpu_check: mixed precision: bfloat16 autocast on cpu, no loss scaling' in summary
    assert re.search(r'^gpu_check: compiled student: first step \d+ s', summary, re.M)
    assert 'gpu_check: Distributed training: True' in summary
    assert re.search(r'^gpu_check: dist_train: 2 iterations, median of the last 2: [\d.]+ '
                     r's/iter \(data [\d.]+ s\), [\d.]+ img/s', summary, re.M)
    assert re.search(r'^gpu_check: device: cpu; autocast ', summary, re.M)
    for name in ('fp32', 'tf32'):
        assert re.search(rf'^gpu_check: train step \({name}\): [\d.]+ ms median of 2', summary,
                         re.M)
    if bf16:
        assert re.search(r'^gpu_check: bf16 step \([\d.]+ ms\): [\d.]+x faster than fp32 '
                         r'\([\d.]+ ms\), [\d.]+x faster than fp32 \+ TF32', summary, re.M)
    assert 'gpu_check: 2-GPU PaCo run skipped (1 GPU visible)' in summary
    assert ('gpu_check: resume: first run trained epoch(s) [1]; resumed at epoch 1, iteration '
            '6; second run trained epoch(s) [2]: continued') in summary
    assert re.search(r'^gpu_check: validation: 4 samples in batches of 2, [\d.]+ ms/sample '
                     r'\(model and teacher [\d.]+, LongTailAccuracy [\d.]+\)', summary, re.M)
    assert 'gpu_check: compile skipped (GPU_CHECK_COMPILE=0)' in summary
    assert re.search(r'^gpu_check: wall time \d+ s', summary, re.M)
