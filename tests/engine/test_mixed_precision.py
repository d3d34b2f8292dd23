"""Mixed precision on any device: dtype choice, CPU bf16 steps, fp16 loss scaling, --amp."""
import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from deitlt_mm.engine.optimizers import mixed_precision, mixed_precision_optim_wrapper
from deitlt_mm.engine.optimizers.mixed_precision import (
    apply_default_precision,
    choose_autocast_dtype,
    cpu_bf16_instructions,
    cpu_bf16_matmul_speedup,
    enable_mixed_precision,
    enable_tf32,
    resolve_autocast_dtype,
)
from deitlt_mm.registry import OPTIM_WRAPPERS

LR = 0.1


@pytest.fixture()
def cpu_has_bf16(monkeypatch):
    """Pretend the CPU has bf16 instructions (torch emulates them where it has not)."""
    monkeypatch.setattr(mixed_precision, 'cpu_bf16_instructions', lambda: ['AVX512-BF16'])


@pytest.fixture()
def cpu_lacks_bf16(monkeypatch):
    monkeypatch.setattr(mixed_precision, 'cpu_bf16_instructions', lambda: [])


class DtypeRecordingNet(nn.Module):
    """Linear -> ReLU -> linear; records the dtype of the first linear's output."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 3)
        self.seen_dtypes = []

    def forward(self, inputs):
        hidden = self.fc1(inputs)
        self.seen_dtypes.append(hidden.dtype)
        return self.fc2(F.relu(hidden))


def batch():
    generator = torch.Generator().manual_seed(1)
    return torch.randn(5, 6, generator=generator), torch.tensor([0, 1, 2, 0, 1])


def wrapper_step(model, wrapper, inputs, labels):
    with wrapper.optim_context(model):
        loss = F.cross_entropy(model(inputs), labels)
    wrapper.update_params(loss)
    return loss


def write_cpuinfo(tmp_path, line):
    path = tmp_path / 'cpuinfo'
    path.write_text(f'processor\t: 0\n{line}\nmodel name\t: test\n\nprocessor\t: 1\n{line}\n')
    return str(path)


@pytest.mark.parametrize('line,expected', [
    ('flags\t\t: fpu avx512f avx512_bf16 avx512_vnni', ['AVX512-BF16']),
    ('flags\t\t: fpu avx512f amx_bf16 amx_tile avx512_bf16', ['AMX-BF16', 'AVX512-BF16']),
    ('flags\t\t: fpu sse4_2 avx2 avx512f', []),
    ('Features\t: fp asimd bf16 i8mm', ['Arm BF16']),
])
def test_bf16_instructions_from_cpuinfo(tmp_path, line, expected):
    assert cpu_bf16_instructions(write_cpuinfo(tmp_path, line)) == expected


def test_cpu_dtype_is_bf16_where_the_cpu_has_it(cpu_has_bf16):
    assert resolve_autocast_dtype('cpu', 'auto') is torch.bfloat16
    assert resolve_autocast_dtype('cpu', torch.bfloat16) is torch.bfloat16
    with pytest.raises(ValueError, match="runs in bfloat16; got dtype='float16'"):
        resolve_autocast_dtype('cpu', 'float16')
    with pytest.raises(ValueError, match="'auto', 'bfloat16' or 'float16', got 'fp8'"):
        resolve_autocast_dtype('cpu', 'fp8')
    with pytest.raises(ValueError, match="supports cpu and cuda devices, got 'mps'"):
        resolve_autocast_dtype('mps')


def test_cpu_without_bf16_is_refused_with_the_reason(cpu_lacks_bf16):
    with pytest.raises(ValueError, match=r'AVX512-BF16 or AMX.*emulated.*drop --amp'):
        resolve_autocast_dtype('cpu', 'auto')


def stub_gpu(monkeypatch, capability, name='Tesla V100'):
    """Pretend every GPU has ``capability``; returns the devices the queries were asked of.

    ``torch.cuda.is_bf16_supported`` raises: it also counts emulated bf16, and it asks
    the current device, which is GPU 0 in every rank before mmengine sets the rank's.
    """
    asked = []

    def get_device_capability(device=None):
        asked.append(device)
        return capability

    def is_bf16_supported(*args, **kwargs):
        raise AssertionError('torch.cuda.is_bf16_supported() asked')

    monkeypatch.setattr(torch.cuda, 'get_device_capability', get_device_capability)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda device=None: name)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', is_bf16_supported)
    return asked


@pytest.mark.parametrize('capability,expected', [
    ((7, 0), torch.float16), ((7, 5), torch.float16), ((8, 0), torch.bfloat16),
    ((8, 6), torch.bfloat16), ((9, 0), torch.bfloat16), ((12, 0), torch.bfloat16)])
def test_choose_autocast_dtype_follows_the_compute_capability(monkeypatch, capability,
                                                              expected):
    asked = stub_gpu(monkeypatch, capability)
    device = torch.device('cuda', 3)
    assert choose_autocast_dtype(device) is expected
    assert asked == [device]  # the rank's own GPU, not the current one (GPU 0)


@pytest.mark.parametrize('capability,dtype,expected', [
    ((8, 0), 'auto', torch.bfloat16), ((7, 0), 'auto', torch.float16),
    ((7, 0), 'float16', torch.float16), ((9, 0), 'float16', torch.float16)])
def test_cuda_dtype_follows_the_gpu(monkeypatch, capability, dtype, expected):
    asked = stub_gpu(monkeypatch, capability)
    assert resolve_autocast_dtype('cuda', dtype, torch.device('cuda', 1)) is expected
    assert asked == [torch.device('cuda', 1)]


def test_cuda_bf16_on_a_gpu_without_it_is_refused(monkeypatch):
    stub_gpu(monkeypatch, (7, 0))
    with pytest.raises(ValueError, match=r"Tesla V100 \(compute capability 7.0\) has no "
                       r"bfloat16.*'float16'"):
        resolve_autocast_dtype('cuda', 'bfloat16')


def test_enable_tf32_turns_on_tf32_matmuls_and_convolutions():
    # torch's cuBLAS flags are module properties (monkeypatch cannot restore them).
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
        enable_tf32()
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_cpu_step_runs_in_bf16_without_loss_scaling(cpu_has_bf16):
    model, (inputs, labels) = DtypeRecordingNet(), batch()
    expected = copy.deepcopy(model)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = F.cross_entropy(expected(inputs), labels)
    loss.backward()
    with torch.no_grad():
        for param in expected.parameters():
            param.add_(param.grad, alpha=-LR)  # SGD's update, same rounding

    wrapper = OPTIM_WRAPPERS.build(dict(
        type='MixedPrecisionOptimWrapper',
        optimizer=torch.optim.SGD(model.parameters(), lr=LR)))
    assert (wrapper.device_type, wrapper.cast_dtype) == ('cpu', torch.bfloat16)
    assert not wrapper.loss_scaler.is_enabled()
    wrapper_step(model, wrapper, inputs, labels)
    assert model.seen_dtypes == [torch.bfloat16]
    for param, want in zip(model.parameters(), expected.parameters()):
        assert param.dtype == torch.float32  # master weights stay fp32
        torch.testing.assert_close(param, want, rtol=0, atol=0)

    # Resume: an empty scaler state is saved and loads back.
    state = wrapper.state_dict()
    assert state['loss_scaler'] == {}
    wrapper.load_state_dict(copy.deepcopy(state))


def test_bf16_checkpoint_resumes_in_fp16_with_fresh_loss_scaling(cpu_has_bf16, monkeypatch):
    # A bf16 run (disabled scaler: empty state) resumed where fp16 is chosen (a pre-Ampere
    # GPU): GradScaler.load_state_dict({}) raises; the wrapper starts scaling afresh.
    bf16_model = DtypeRecordingNet()
    bf16_wrapper = OPTIM_WRAPPERS.build(dict(
        type='MixedPrecisionOptimWrapper',
        optimizer=torch.optim.SGD(bf16_model.parameters(), lr=LR, momentum=0.9)))
    wrapper_step(bf16_model, bf16_wrapper, *batch())
    state = bf16_wrapper.state_dict()
    assert state['loss_scaler'] == {}

    monkeypatch.setattr(mixed_precision_optim_wrapper, 'resolve_autocast_dtype',
                        lambda device_type, dtype, device: torch.float16)
    model = DtypeRecordingNet()
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='MixedPrecisionOptimWrapper', loss_scale=dict(init_scale=2.0**10),
        optimizer=torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)))
    wrapper.load_state_dict(copy.deepcopy(state))
    assert wrapper.loss_scaler.get_scale() == 2.0**10
    # The optimizer state (momentum buffers) came with it.
    for param, bf16_param in zip(model.parameters(), bf16_model.parameters()):
        torch.testing.assert_close(wrapper.optimizer.state[param]['momentum_buffer'],
                                   bf16_wrapper.optimizer.state[bf16_param]['momentum_buffer'])


def test_fp16_scales_the_loss_unscales_before_clipping_and_skips_inf(monkeypatch):
    # CUDA's float16 path, run on CPU (torch has CPU fp16 autocast and a CPU GradScaler):
    # the scaler and clipping logic is device-independent.
    monkeypatch.setattr(mixed_precision_optim_wrapper, 'resolve_autocast_dtype',
                        lambda device_type, dtype, device: torch.float16)
    model, (inputs, labels) = DtypeRecordingNet(), batch()
    expected = copy.deepcopy(model)
    with torch.autocast('cpu', dtype=torch.float16):
        loss = F.cross_entropy(expected(inputs), labels)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(expected.parameters(), max_norm=0.1)
    with torch.no_grad():
        for param in expected.parameters():
            param.add_(param.grad, alpha=-LR)  # SGD's update, same rounding

    wrapper = OPTIM_WRAPPERS.build(dict(
        type='MixedPrecisionOptimWrapper', loss_scale=dict(init_scale=2.0**10),
        clip_grad=dict(max_norm=0.1), optimizer=torch.optim.SGD(model.parameters(), lr=LR)))
    assert wrapper.loss_scaler.is_enabled()
    wrapper_step(model, wrapper, inputs, labels)
    assert model.seen_dtypes == [torch.float16]
    for param, want in zip(model.parameters(), expected.parameters()):
        torch.testing.assert_close(param, want, rtol=1e-5, atol=1e-6)
    assert wrapper.state_dict()['loss_scaler']['scale'] == 2.0**10

    # An overflowing step leaves the weights alone and halves the scale.
    before = [param.detach().clone() for param in model.parameters()]
    wrapper_step(model, wrapper, inputs * float('inf'), labels)
    for param, old in zip(model.parameters(), before):
        torch.testing.assert_close(param, old, rtol=0, atol=0)
    assert wrapper.loss_scaler.get_scale() == 2.0**9


@pytest.mark.parametrize('given,expected', [
    ('OptimWrapper', 'MixedPrecisionOptimWrapper'),
    ('AmpOptimWrapper', 'MixedPrecisionOptimWrapper'),
    ('SAMOptimWrapper', 'SAMAmpOptimWrapper'),
    ('SAMAmpOptimWrapper', 'SAMAmpOptimWrapper'),
])
def test_enable_mixed_precision_switches_the_wrapper_type(cpu_has_bf16, given, expected):
    cfg = dict(type=given, optimizer=dict(type='SGD', lr=0.1))
    enable_mixed_precision(cfg, device_type='cpu')
    assert cfg == dict(type=expected, dtype='auto', optimizer=dict(type='SGD', lr=0.1))


def test_enable_mixed_precision_on_cuda_does_not_ask_the_gpu(monkeypatch):
    # The config is prepared before mmengine sets the rank's device: no GPU query then.
    stub_gpu(monkeypatch, (7, 0))
    monkeypatch.setattr(torch.cuda, 'get_device_capability',
                        lambda device=None: pytest.fail('GPU asked while preparing the config'))
    cfg = dict(type='OptimWrapper', dtype='bfloat16')
    enable_mixed_precision(cfg, device_type='cuda')
    assert cfg == dict(type='MixedPrecisionOptimWrapper', dtype='bfloat16')
    with pytest.raises(ValueError, match="dtype must be 'auto', 'bfloat16' or 'float16'"):
        enable_mixed_precision(dict(type='OptimWrapper', dtype='fp8'), device_type='cuda')


@pytest.mark.parametrize('device_type,amp,given,expected', [
    # No flag: mixed precision on GPUs, the config as it is on CPU.
    ('cuda', None, dict(type='OptimWrapper'), dict(type='MixedPrecisionOptimWrapper',
                                                   dtype='auto')),
    ('cuda', None, dict(type='SAMOptimWrapper', rho=0.1),
     dict(type='SAMAmpOptimWrapper', rho=0.1, dtype='auto')),
    ('cuda', None, dict(type='ZeroRedundancyOptimizer'), dict(type='ZeroRedundancyOptimizer')),
    ('cpu', None, dict(type='OptimWrapper'), dict(type='OptimWrapper')),
    ('cpu', None, dict(type='SAMAmpOptimWrapper', dtype='auto'),
     dict(type='SAMAmpOptimWrapper', dtype='auto')),
    # --amp: on any device.
    ('cpu', True, dict(type='OptimWrapper'), dict(type='MixedPrecisionOptimWrapper',
                                                  dtype='auto')),
    # --no-amp: float32.
    ('cuda', False, dict(type='OptimWrapper'), dict(type='OptimWrapper')),
    ('cuda', False, dict(type='MixedPrecisionOptimWrapper', dtype='float16', loss_scale=512.),
     dict(type='OptimWrapper')),
    ('cpu', False, dict(type='SAMAmpOptimWrapper', rho=0.1, dtype='auto'),
     dict(type='SAMOptimWrapper', rho=0.1)),
])
def test_apply_default_precision(cpu_has_bf16, monkeypatch, device_type, amp, given, expected):
    monkeypatch.setattr(torch.cuda, 'get_device_capability',
                        lambda device=None: pytest.fail('GPU asked while preparing the config'))
    cfg = dict(optim_wrapper=dict(given))
    apply_default_precision(cfg, device_type, amp)
    assert cfg['optim_wrapper'] == expected


def test_enable_mixed_precision_refuses_unknown_wrappers_and_bad_set_ups(cpu_lacks_bf16):
    with pytest.raises(ValueError, match="optim_wrapper.type='ZeroRedundancy'"):
        enable_mixed_precision(dict(type='ZeroRedundancy'), device_type='cpu')
    with pytest.raises(ValueError, match='needs bf16 instructions'):
        enable_mixed_precision(dict(type='OptimWrapper'), device_type='cpu')


def test_bf16_matmul_speedup_is_fp32_time_over_bf16_time(monkeypatch):
    # Two timed matmuls per dtype, fp32 first: best fp32 2.0 s, best bf16 0.5 s.
    clock = iter([0.0, 3.0, 10.0, 12.0, 20.0, 20.5, 30.0, 31.0])
    monkeypatch.setattr(mixed_precision.time, 'perf_counter', lambda: next(clock))
    assert cpu_bf16_matmul_speedup(size=8, repeats=2) == 4.0
