#!/usr/bin/env bash
# GPU check, under 5 minutes on one GPU: bash tools/benchmark/gpu_check.sh [WORK_DIR]
#
# 1. DeiT-B/16 at 224 + ResNet32 teacher train step in bf16 on a fixed batch: img/s and MFU
#    from counted FLOPs (peak: GPU_CHECK_PEAK_TFLOPS, default 989 = H200 dense bf16), then
#    SAM AMP steps in float16 (dynamic loss scaling; the teacher must run once per step).
# 2. 20 iterations of configs/smoke/deitlt_b_resnet32_random_lt.py through
#    `tools/dist_train.sh CONFIG 1 --amp` (torchrun, NCCL), with its data pipeline.
# 3. The student compiled (the `compile` config key): first-step time and speed-up over eager
#    (skipped with GPU_CHECK_COMPILE=0; stopped after GPU_CHECK_COMPILE_TIMEOUT s, default 180).
# Ends with a compact summary: every "gpu_check:" line of the three parts and the wall time.
# Every part writes its own log file first and prints it after: no pipe is left for a
# lingering child (torch.compile's worker processes) to hold open, and every part is
# stopped at GPU_CHECK_DEADLINE (default 270 s from the start), so the script always ends.
#
# Environment (defaults for the GPU run; tests/tools/test_gpu_check.py runs it on CPU):
#   GPU_CHECK_DEVICE (cuda), GPU_CHECK_STEP_ARGS (extra args of gpu_check.py step),
#   GPU_CHECK_CONFIG, GPU_CHECK_ITERS (20), GPU_CHECK_AMP (1: --amp), GPU_CHECK_CFG_OPTIONS,
#   GPU_CHECK_PEAK_TFLOPS (989), GPU_CHECK_COMPILE (1), GPU_CHECK_COMPILE_TIMEOUT (180),
#   GPU_CHECK_DEADLINE (270), PORT.
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
DEADLINE=${GPU_CHECK_DEADLINE:-270}
AMP_FLAG=$([ "${GPU_CHECK_AMP:-1}" = 1 ] && echo --amp || true)
START=$(date +%s)
mkdir -p "$WORK"
rm -rf "$WORK/dist_train"

section() { echo; echo "== gpu_check $1 ($(( $(date +%s) - START )) s)"; }
elapsed() { echo $(( $(date +%s) - START )); }
# Seconds left before the deadline, at least 1 (timeout 0 would mean no limit).
remaining() { local left=$(( DEADLINE - $(elapsed) )); echo $(( left < 1 ? 1 : left )); }

section "1/3: train step throughput, MFU, SAM AMP steps"
if [ "$DEVICE" = cuda ]; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; fi
# shellcheck disable=SC2086
step_rc=0
timeout --kill-after=10 "$(remaining)" \
    python tools/benchmark/gpu_check.py step --device "$DEVICE" --peak-tflops "$PEAK" \
    --iters "$ITERS" $STEP_ARGS > "$WORK/step.log" 2>&1 || step_rc=$?
cat "$WORK/step.log"
[ "$step_rc" = 0 ] || echo "gpu_check: step part FAILED (exit $step_rc)" | tee -a "$WORK/step.log"

section "2/3: $ITERS iterations through tools/dist_train.sh $CONFIG 1 $AMP_FLAG"
# shellcheck disable=SC2086
if ! NCCL_DEBUG=${NCCL_DEBUG:-INFO} timeout --kill-after=10 "$(remaining)" \
        bash tools/dist_train.sh "$CONFIG" 1 $AMP_FLAG \
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

section "3/3: compiled student"
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
grep -h "^gpu_check:" "$WORK/step.log" "$WORK/dist_summary.log" "$WORK/compile.log" \
    | grep -v '^gpu_check: {' || true
echo "gpu_check: wall time $(( $(date +%s) - START )) s; logs in $WORK"
