#!/usr/bin/env bash
# GPU check, under 10 minutes on one or two GPUs: bash tools/benchmark/gpu_check.sh [WORK_DIR]
#
# 0. The GPU: name, compute capability, GPUs visible, the autocast dtype choose_autocast_dtype
#    picks (bfloat16 from capability 8.0, else float16 with loss scaling).
# 1. DeiT-B/16 at 224 + ResNet32 teacher train step in bf16 on a fixed batch: img/s and MFU
#    from counted FLOPs (peak: GPU_CHECK_PEAK_TFLOPS, default 989 = H200 dense bf16), then
#    SAM AMP steps in float16 (dynamic loss scaling; the teacher must run once per step).
# 2. The same step in fp32 with TF32 off and in fp32 with TF32 on, and the bf16 speed-up over
#    both (the mixed-precision default's gain; skipped with GPU_CHECK_FP32=0).
# 3. 20 iterations of configs/smoke/deitlt_b_resnet32_random_lt.py through
#    `tools/dist_train.sh CONFIG 1 --amp` (torchrun, NCCL), with its data pipeline.
# 4. 20 iterations of configs/smoke/resnet_paco_random_lt.py (PaCo + SAM) through
#    `tools/dist_train.sh CONFIG 2`: PaCo's cross-rank gathers and SAM under DDP (skipped,
#    with a line saying so, when fewer than two GPUs are visible).
# 5. configs/smoke/tiny_resnet_random_lt.py (epoch-based) trained one epoch through
#    tools/train.py, then `--resume`d to its second: the resumed run must say it resumed at
#    epoch 1 and log epoch 2 only.
# 6. A validation pass of the DeiT-B student with its teacher and LongTailAccuracy on
#    synthetic batches (1000 classes): ms per sample, model and metric apart.
# 7. The student compiled (the `compile` config key): first-step time and speed-up over eager
#    (skipped with GPU_CHECK_COMPILE=0; stopped after GPU_CHECK_COMPILE_TIMEOUT s, default 180).
# Ends with a compact summary: every "gpu_check:" line of the parts and the wall time.
# Every part writes its own log file first and prints it after: no pipe is left for a
# lingering child (torch.compile's worker processes) to hold open, and every part is
# stopped at GPU_CHECK_DEADLINE (default 570 s from the start), so the script always ends.
#
# Environment (defaults for the GPU run; tests/tools/test_benchmark_tools.py runs it on CPU):
#   GPU_CHECK_DEVICE (cuda), GPU_CHECK_STEP_ARGS (extra args of gpu_check.py step),
#   GPU_CHECK_FP32 (1), GPU_CHECK_CONFIG, GPU_CHECK_ITERS (20), GPU_CHECK_AMP (1: --amp),
#   GPU_CHECK_CFG_OPTIONS, GPU_CHECK_NUM_GPUS (nvidia-smi's count; 1 on CPU),
#   GPU_CHECK_PACO_CONFIG, GPU_CHECK_RESUME_CONFIG, GPU_CHECK_VAL_ARGS (extra args of
#   gpu_check.py val), GPU_CHECK_PEAK_TFLOPS (989), GPU_CHECK_COMPILE (1),
#   GPU_CHECK_COMPILE_TIMEOUT (180), GPU_CHECK_DEADLINE (570), PORT.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
cd "$REPO"
WORK=${1:-work_dirs/gpu_check}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
STEP_ARGS=${GPU_CHECK_STEP_ARGS:-}
CONFIG=${GPU_CHECK_CONFIG:-configs/smoke/deitlt_b_resnet32_random_lt.py}
ITERS=${GPU_CHECK_ITERS:-20}
PEAK=${GPU_CHECK_PEAK_TFLOPS:-989}
COMPILE=${GPU_CHECK_COMPILE:-1}
COMPILE_TIMEOUT=${GPU_CHECK_COMPILE_TIMEOUT:-180}
DEADLINE=${GPU_CHECK_DEADLINE:-570}
FP32=${GPU_CHECK_FP32:-1}
PACO_CONFIG=${GPU_CHECK_PACO_CONFIG:-configs/smoke/resnet_paco_random_lt.py}
RESUME_CONFIG=${GPU_CHECK_RESUME_CONFIG:-configs/smoke/tiny_resnet_random_lt.py}
VAL_ARGS=${GPU_CHECK_VAL_ARGS:-}
if [ -n "${GPU_CHECK_NUM_GPUS:-}" ]; then NUM_GPUS=$GPU_CHECK_NUM_GPUS
elif [ "$DEVICE" = cuda ]; then NUM_GPUS=$(nvidia-smi -L | grep -c '^GPU' || true)
else NUM_GPUS=1; fi
AMP_FLAG=$([ "${GPU_CHECK_AMP:-1}" = 1 ] && echo --amp || true)
START=$(date +%s)
mkdir -p "$WORK"
rm -rf "$WORK/dist_train" "$WORK/paco" "$WORK/resume"

section() { echo; echo "== gpu_check $1 ($(( $(date +%s) - START )) s)"; }
elapsed() { echo $(( $(date +%s) - START )); }
# Seconds left before the deadline, at least 1 (timeout 0 would mean no limit).
remaining() { local left=$(( DEADLINE - $(elapsed) )); echo $(( left < 1 ? 1 : left )); }

section "0/7: device"
if [ "$DEVICE" = cuda ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; fi
timeout --kill-after=10 "$(remaining)" python tools/benchmark/gpu_check.py device-info \
    --device "$DEVICE" > "$WORK/device.log" 2>&1 \
    || echo "gpu_check: device-info FAILED" >> "$WORK/device.log"
cat "$WORK/device.log"

section "1/7: train step throughput, MFU, SAM AMP steps"
# shellcheck disable=SC2086
step_rc=0
timeout --kill-after=10 "$(remaining)" \
    python tools/benchmark/gpu_check.py step --device "$DEVICE" --peak-tflops "$PEAK" \
    --iters "$ITERS" $STEP_ARGS > "$WORK/step.log" 2>&1 || step_rc=$?
cat "$WORK/step.log"
[ "$step_rc" = 0 ] || echo "gpu_check: step part FAILED (exit $step_rc)" | tee -a "$WORK/step.log"

section "2/7: the same step in fp32 (TF32 off, then on)"
rm -f "$WORK/fp32.log" "$WORK/tf32.log"
if [ "$FP32" = 1 ]; then
    for precision in fp32 tf32; do
        # shellcheck disable=SC2086
        timeout --kill-after=10 "$(remaining)" \
            python tools/benchmark/gpu_check.py step --device "$DEVICE" --peak-tflops "$PEAK" \
            --iters "$ITERS" $STEP_ARGS --precision "$precision" --sam-steps 0 \
            > "$WORK/$precision.log" 2>&1 \
            || echo "gpu_check: $precision step FAILED or stopped at the deadline" \
            >> "$WORK/$precision.log"
        cat "$WORK/$precision.log"
    done
    python tools/benchmark/gpu_check.py precision-summary "$WORK/step.log" "$WORK/fp32.log" \
        "$WORK/tf32.log" > "$WORK/precision.log" 2>&1 || true
else
    echo "gpu_check: fp32 steps skipped (GPU_CHECK_FP32=0)" > "$WORK/precision.log"
    : > "$WORK/fp32.log"; : > "$WORK/tf32.log"
fi
cat "$WORK/precision.log"

# --verbose: the environment dump (Distributed training, NCCL) is read from the console log.
section "3/7: $ITERS iterations through tools/dist_train.sh $CONFIG 1 $AMP_FLAG"
# shellcheck disable=SC2086
if ! NCCL_DEBUG=${NCCL_DEBUG:-INFO} timeout --kill-after=10 "$(remaining)" \
        bash tools/dist_train.sh "$CONFIG" 1 $AMP_FLAG --verbose \
        --work-dir "$WORK/dist_train" --cfg-options "train_cfg.max_iters=$ITERS" \
        "train_cfg.val_interval=$ITERS" default_hooks.logger.interval=1 log_processor.window_size=1 \
        ${GPU_CHECK_CFG_OPTIONS:-} > "$WORK/dist_train.log" 2>&1; then
    tail -n 40 "$WORK/dist_train.log"
    echo "gpu_check: dist_train FAILED, log: $WORK/dist_train.log"
    exit 1
fi
{
    grep -m1 -o "Distributed training: [A-Za-z]*" "$WORK/dist_train.log" | sed 's/^/gpu_check: /' \
        || echo "gpu_check: not distributed?"
    # NCCL_DEBUG=INFO makes NCCL print its version when the process group starts.
    grep -m1 -o "NCCL version [^ ]*" "$WORK/dist_train.log" | sed 's/^/gpu_check: backend /' \
        || echo "gpu_check: no NCCL in the log (on CPU: gloo)"
    grep -m1 -o "mixed precision: .*" "$WORK/dist_train.log" | sed 's/^/gpu_check: /' \
        || echo "gpu_check: no mixed precision in the log"
    python tools/benchmark/gpu_check.py dist-summary "$WORK/dist_train"
} | tee "$WORK/dist_summary.log"

section "4/7: PaCo + SAM on 2 GPUs through tools/dist_train.sh $PACO_CONFIG 2"
if [ "$NUM_GPUS" -lt 2 ]; then
    echo "gpu_check: 2-GPU PaCo run skipped ($NUM_GPUS GPU visible)" | tee "$WORK/paco_summary.log"
else
    paco_rc=0
    # shellcheck disable=SC2086
    NCCL_DEBUG=${NCCL_DEBUG:-INFO} PORT=$(( ${PORT:-29500} + 1 )) \
        timeout --kill-after=10 "$(remaining)" bash tools/dist_train.sh "$PACO_CONFIG" 2 --verbose \
        --work-dir "$WORK/paco" --cfg-options "train_cfg.max_iters=$ITERS" \
        "train_cfg.val_interval=$ITERS" default_hooks.logger.interval=1 \
        log_processor.window_size=1 > "$WORK/paco.log" 2>&1 || paco_rc=$?
    {
        if [ "$paco_rc" = 0 ]; then
            grep -m1 -o "Distributed training: [A-Za-z]*" "$WORK/paco.log" \
                | sed 's/^/gpu_check: PaCo /' || true
            grep -m1 -o "Epoch(val).*long_tail/top1: [0-9.]*" "$WORK/paco.log" \
                | sed 's/.*long_tail/gpu_check: PaCo validation long_tail/' || true
            python tools/benchmark/gpu_check.py dist-summary "$WORK/paco" --label "PaCo 2-GPU"
        else
            tail -n 40 "$WORK/paco.log"
            echo "gpu_check: 2-GPU PaCo run FAILED (exit $paco_rc), log: $WORK/paco.log"
        fi
    } > "$WORK/paco_summary.log" 2>&1
    cat "$WORK/paco_summary.log"
fi

section "5/7: epoch-based checkpoint and --resume ($RESUME_CONFIG)"
resume_rc=0
{
    timeout --kill-after=10 "$(remaining)" python tools/train.py "$RESUME_CONFIG" \
        --work-dir "$WORK/resume" --cfg-options train_cfg.max_epochs=1 \
    && timeout --kill-after=10 "$(remaining)" python tools/train.py "$RESUME_CONFIG" \
        --work-dir "$WORK/resume" --resume
} > "$WORK/resume.log" 2>&1 || resume_rc=$?
if [ "$resume_rc" = 0 ]; then
    python tools/benchmark/gpu_check.py resume-summary "$WORK/resume" \
        > "$WORK/resume_summary.log" 2>&1 || true
else
    tail -n 40 "$WORK/resume.log"
    echo "gpu_check: resume part FAILED (exit $resume_rc), log: $WORK/resume.log" \
        > "$WORK/resume_summary.log"
fi
cat "$WORK/resume_summary.log"

section "6/7: validation pass, LongTailAccuracy, ms per sample"
# shellcheck disable=SC2086
timeout --kill-after=10 "$(remaining)" python tools/benchmark/gpu_check.py val \
    --device "$DEVICE" $VAL_ARGS > "$WORK/val.log" 2>&1 \
    || echo "gpu_check: validation part FAILED or stopped at the deadline" >> "$WORK/val.log"
cat "$WORK/val.log"

section "7/7: compiled student"
left=$(( DEADLINE - $(elapsed) ))
[ "$left" -lt "$COMPILE_TIMEOUT" ] && COMPILE_TIMEOUT=$left
if [ "$COMPILE" = 1 ] && [ "$COMPILE_TIMEOUT" -gt 0 ]; then
    # shellcheck disable=SC2086
    timeout --kill-after=10 "$COMPILE_TIMEOUT" python tools/benchmark/gpu_check.py step \
        --device "$DEVICE" --peak-tflops "$PEAK" --iters "$ITERS" --sam-steps 0 --compile \
        $STEP_ARGS > "$WORK/compile.log" 2>&1 \
        || echo "gpu_check: compile step did not finish within $COMPILE_TIMEOUT s" \
        >> "$WORK/compile.log"
    cat "$WORK/compile.log"
elif [ "$COMPILE" = 1 ]; then
    echo "gpu_check: compile skipped (GPU_CHECK_DEADLINE reached)" | tee "$WORK/compile.log"
else
    echo "gpu_check: compile skipped (GPU_CHECK_COMPILE=0)" | tee "$WORK/compile.log"
fi

section "summary"
grep -h "^gpu_check:" "$WORK/device.log" "$WORK/step.log" "$WORK/fp32.log" "$WORK/tf32.log" \
    "$WORK/precision.log" \
    "$WORK/dist_summary.log" "$WORK/paco_summary.log" "$WORK/resume_summary.log" \
    "$WORK/val.log" "$WORK/compile.log" | grep -v '^gpu_check: {' || true
echo "gpu_check: wall time $(( $(date +%s) - START )) s; logs in $WORK"
