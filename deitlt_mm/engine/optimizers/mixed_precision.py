"""Which autocast dtype a device supports, and the config switch to mixed precision.

Used by :class:`MixedPrecisionOptimWrapper`, ``tools/train.py``, the demo and the
benchmarks, so every entry point decides the same way:

* **CPU**: bfloat16, only on CPUs with bf16 instructions (x86 ``avx512_bf16`` /
  ``amx_bf16``, Arm ``bf16``). Elsewhere torch emulates bf16 matmuls, several times
  slower than fp32, so mixed precision is refused with a message saying so. Off
  unless asked for (``--amp``).
* **CUDA**: on by default (:func:`apply_default_precision`). bfloat16 on GPUs of compute
  capability 8.0 and newer (Ampere, Hopper, ...), else (V100, T4) float16 with dynamic
  loss scaling (:func:`choose_autocast_dtype`). ``torch.cuda.is_bf16_supported()`` is not
  used: it also answers True where bf16 is only emulated. The GPU is asked when the
  optim wrapper is built, after mmengine has set the rank's device, never while the
  config is prepared (that query would open a context on GPU 0 in every rank). The
  float32 matmuls and convolutions left under autocast (losses, metrics) use TF32
  (:func:`enable_tf32`).
"""
import time
from typing import List, Optional, Union

import torch

from ...errors import ConfigValueError

# /proc/cpuinfo flag -> name in messages. x86 lists them under `flags`, Arm under `Features`.
CPU_BF16_FLAGS = {'amx_bf16': 'AMX-BF16', 'avx512_bf16': 'AVX512-BF16', 'bf16': 'Arm BF16'}
DTYPE_NAMES = {'bfloat16': torch.bfloat16, 'float16': torch.float16}
# What `optim_wrapper.type` becomes under `--amp` (mixed-precision types stay as they are).
MIXED_PRECISION_TYPES = {
    'OptimWrapper': 'MixedPrecisionOptimWrapper',
    'AmpOptimWrapper': 'MixedPrecisionOptimWrapper',
    'SAMOptimWrapper': 'SAMAmpOptimWrapper',
}
# What they become under `--no-amp`.
FLOAT32_TYPES = {
    'MixedPrecisionOptimWrapper': 'OptimWrapper',
    'AmpOptimWrapper': 'OptimWrapper',
    'SAMAmpOptimWrapper': 'SAMOptimWrapper',
}


def cpu_flags(cpuinfo: str = '/proc/cpuinfo') -> set:
    """The feature flags of the first CPU listed in ``cpuinfo`` (empty if unreadable)."""
    try:
        with open(cpuinfo, encoding='utf-8') as f:
            for line in f:
                key, _, value = line.partition(':')
                if key.strip() in ('flags', 'Features'):
                    return set(value.split())
    except OSError:
        pass
    return set()


def cpu_bf16_instructions(cpuinfo: str = '/proc/cpuinfo') -> List[str]:
    """Names of the bf16 instruction sets of this CPU, e.g. ``['AVX512-BF16']``.

    Read from ``cpuinfo``; where that file does not exist (macOS, Windows) torch's
    own x86 probe answers for AVX512-BF16 / AMX.
    """
    flags = cpu_flags(cpuinfo)
    found = [name for flag, name in CPU_BF16_FLAGS.items() if flag in flags]
    if not flags:
        probes = (('_is_amx_tile_supported', 'AMX-BF16'),
                  ('_is_avx512_bf16_supported', 'AVX512-BF16'))
        found = [name for probe, name in probes if getattr(torch.cpu, probe, lambda: False)()]
    return found


def cpu_supports_bf16() -> bool:
    """True if CPU autocast in bfloat16 runs on native bf16 instructions."""
    return bool(cpu_bf16_instructions())


def cpu_bf16_matmul_speedup(size: int = 512, repeats: int = 5) -> float:
    """How many times faster a ``size x size`` matmul runs in bf16 than in fp32 here.

    Best of ``repeats`` each, with torch's current thread count (about 30 ms). A CPU
    with bf16 instructions is not always faster in bf16: with AMX it is several times
    faster, on a VM exposing AVX512-BF16 without AMX we measured 0.55x (oneDNN's
    AVX512-BF16 kernels against MKL's fp32 ones).
    """
    def best(dtype):
        left = torch.randn(size, size).to(dtype)
        right = torch.randn(size, size).to(dtype)
        left @ right  # first call: kernel selection
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            left @ right
            times.append(time.perf_counter() - start)
        return min(times)

    return best(torch.float32) / best(torch.bfloat16)


# The first compute capability with bf16 tensor cores (Ampere, A100).
CUDA_BF16_CAPABILITY = (8, 0)


def choose_autocast_dtype(device: Union[torch.device, int, str, None] = None) -> torch.dtype:
    """bfloat16 on GPUs with bf16 tensor cores (capability >= 8.0), else float16.

    Args:
        device (torch.device | int | str, optional): the CUDA device asked (None: the
            current one). Pass the rank's own device, so no rank touches GPU 0.

    Returns:
        torch.dtype: ``torch.bfloat16`` or ``torch.float16``.
    """
    capability = tuple(torch.cuda.get_device_capability(device))
    return torch.bfloat16 if capability >= CUDA_BF16_CAPABILITY else torch.float16


def enable_tf32() -> None:
    """Let float32 matmuls and cuDNN convolutions use TF32 tensor cores (CUDA only).

    Under autocast the big matmuls already run in bf16 / fp16; what stays float32
    (layers autocast keeps in float32, the losses' float32 parts) then runs on tensor
    cores too, with float32's range and a 10-bit mantissa, as in the mixed-precision
    recipes of timm and DeiT. An fp32 run (``--no-amp``) leaves torch's defaults.
    """
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True


def check_dtype_name(dtype: Union[str, torch.dtype, None]) -> Union[str, torch.dtype]:
    """``dtype`` as ``'auto'``, ``torch.bfloat16`` or ``torch.float16``; ValueError otherwise."""
    if dtype is None:
        return 'auto'
    if isinstance(dtype, str) and dtype != 'auto':
        if dtype not in DTYPE_NAMES:
            raise ValueError(f"mixed precision dtype must be 'auto', 'bfloat16' or "
                             f"'float16', got {dtype!r}.")
        return DTYPE_NAMES[dtype]
    if dtype not in ('auto', torch.bfloat16, torch.float16):
        raise ValueError(f'mixed precision dtype must be torch.bfloat16 or torch.float16, '
                         f'got {dtype!r}.')
    return dtype


def resolve_autocast_dtype(device_type: str,
                           dtype: Union[str, torch.dtype, None] = 'auto',
                           device: Union[torch.device, int, str, None] = None) -> torch.dtype:
    """The autocast dtype for ``device_type``, or a ValueError saying why there is none.

    Args:
        device_type (str): ``'cpu'`` or ``'cuda'``.
        dtype (str | torch.dtype | None): ``'auto'`` / None (the best the device
            has: see the module doc), ``'bfloat16'`` or ``'float16'``.
        device (torch.device | int | str, optional): the CUDA device whose capability
            decides (None: the current one).

    Returns:
        torch.dtype: ``torch.bfloat16`` or ``torch.float16``.
    """
    dtype = check_dtype_name(dtype)
    if device_type == 'cpu':
        if dtype == torch.float16:
            raise ConfigValueError(
                "mixed precision on CPU runs in bfloat16; got dtype='float16'.")
        if not cpu_supports_bf16():
            capability = torch.backends.cpu.get_cpu_capability()
            raise ConfigValueError(
                'mixed precision on CPU needs bf16 instructions (AVX512-BF16 or AMX on x86, '
                f'BF16 on Arm); this CPU has none (torch CPU capability: {capability}; no '
                f'{"/".join(CPU_BF16_FLAGS)} flag in /proc/cpuinfo), so bf16 would be '
                'emulated, slower than fp32. Train in fp32 (drop --amp).')
        return torch.bfloat16
    if device_type == 'cuda':
        best = choose_autocast_dtype(device)
        if dtype == 'auto':
            return best
        if dtype == torch.bfloat16 and best != torch.bfloat16:
            major, minor = torch.cuda.get_device_capability(device)
            raise ConfigValueError(
                f'{torch.cuda.get_device_name(device)} (compute capability {major}.{minor}) '
                'has no bfloat16 tensor cores (needs 8.0, Ampere, or newer); use '
                "dtype='float16' (dynamic loss scaling) or 'auto'.")
        return dtype
    raise ValueError(f'mixed precision supports cpu and cuda devices, got {device_type!r}; '
                     "use mmengine's AmpOptimWrapper for other accelerators.")


def enable_mixed_precision(optim_wrapper_cfg: dict, device_type: Optional[str] = None) -> None:
    """Switch an ``optim_wrapper`` config to mixed precision, in place (``--amp``).

    ``OptimWrapper`` / ``AmpOptimWrapper`` become ``MixedPrecisionOptimWrapper`` and
    ``SAMOptimWrapper`` becomes ``SAMAmpOptimWrapper`` (SAM keeps its two passes);
    ``dtype`` defaults to ``'auto'``. On CPU the dtype is checked now, so a CPU
    without bf16 stops before anything is built; on CUDA only its name is checked: the
    GPU's capability is asked when the wrapper is built, on the rank's own device.

    Args:
        optim_wrapper_cfg (dict): the config's ``optim_wrapper``.
        device_type (str, optional): the training device type (default: CUDA if
            available, else CPU).
    """
    wrapper_type = optim_wrapper_cfg.get('type', 'OptimWrapper')
    if wrapper_type in MIXED_PRECISION_TYPES:
        optim_wrapper_cfg['type'] = MIXED_PRECISION_TYPES[wrapper_type]
    elif wrapper_type not in MIXED_PRECISION_TYPES.values():
        raise ValueError(
            f'--amp: optim_wrapper.type={wrapper_type!r} has no mixed-precision version; '
            f'expected one of {sorted(MIXED_PRECISION_TYPES)} (or already '
            f'{sorted(set(MIXED_PRECISION_TYPES.values()))}).')
    optim_wrapper_cfg.setdefault('dtype', 'auto')
    if device_type is None:
        device_type = 'cuda' if torch.cuda.is_available() else 'cpu'
    if device_type == 'cuda':
        check_dtype_name(optim_wrapper_cfg['dtype'])
    else:
        resolve_autocast_dtype(device_type, optim_wrapper_cfg['dtype'])


def disable_mixed_precision(optim_wrapper_cfg: dict) -> None:
    """Switch an ``optim_wrapper`` config to float32, in place (``--no-amp``).

    ``MixedPrecisionOptimWrapper`` / ``AmpOptimWrapper`` become ``OptimWrapper`` and
    ``SAMAmpOptimWrapper`` becomes ``SAMOptimWrapper``, without their ``dtype`` /
    ``loss_scale``; other types are left alone.

    Args:
        optim_wrapper_cfg (dict): the config's ``optim_wrapper``.
    """
    wrapper_type = optim_wrapper_cfg.get('type', 'OptimWrapper')
    if wrapper_type in FLOAT32_TYPES:
        optim_wrapper_cfg['type'] = FLOAT32_TYPES[wrapper_type]
        for key in ('dtype', 'loss_scale'):
            optim_wrapper_cfg.pop(key, None)


def apply_default_precision(cfg, device_type: str, amp: Optional[bool] = None) -> None:
    """Set a run's precision in ``cfg.optim_wrapper``, in place.

    * ``amp=None`` (no flag): mixed precision on CUDA where the wrapper type has a
      mixed-precision version (the paper configs' ``OptimWrapper`` / ``SAMOptimWrapper``
      do); on CPU the config is left as it is (float32 unless it says otherwise).
    * ``amp=True`` (``--amp``): mixed precision on any device; a wrapper type without a
      mixed-precision version or a CPU without bf16 is a ValueError.
    * ``amp=False`` (``--no-amp``): float32 (:func:`disable_mixed_precision`), TF32 off.

    Args:
        cfg (Config | dict): the run's config, with an ``optim_wrapper``.
        device_type (str): ``'cuda'`` or ``'cpu'``, the device the run trains on.
        amp (bool, optional): the command line's choice; None for the default.
    """
    optim_wrapper_cfg = cfg['optim_wrapper']
    if amp is False:
        disable_mixed_precision(optim_wrapper_cfg)
    elif amp:
        enable_mixed_precision(optim_wrapper_cfg, device_type)
    elif device_type == 'cuda' and optim_wrapper_cfg.get('type', 'OptimWrapper') in \
            MIXED_PRECISION_TYPES:
        enable_mixed_precision(optim_wrapper_cfg, device_type)
