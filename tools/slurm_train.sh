#!/usr/bin/env bash
# Training on Slurm: tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]
# Environment: GPUS (tasks, default 8), GPUS_PER_NODE (default min(GPUS, 8)),
# CPUS_PER_TASK (default 5), SRUN_ARGS (more srun options), PYTHON (default python).
# One task per GPU; on CPU-only nodes the tasks train with gloo (docs/cluster.md).
# A preempted run (SIGTERM, or the signal of `sbatch --signal=USR1@90`) saves a
# checkpoint and exits with status 75; inside an sbatch job this script then requeues
# the job (`scontrol requeue $SLURM_JOB_ID`, for jobs submitted with --requeue), and
# the requeued job must pass --resume.
set -uo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]" >&2
    exit 1
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
shift 4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-}
REQUEUE_EXIT_STATUS=75  # deitlt_mm.runtime.preemption
TOOLS=$(cd "$(dirname "$0")" && pwd)

# shellcheck disable=SC2086  # SRUN_ARGS holds several options
PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "${PYTHON:-python}" -u "$TOOLS/train.py" "$CONFIG" --work-dir="$WORK_DIR" \
    --launcher=slurm "$@"
status=$?
if [ "$status" -eq "$REQUEUE_EXIT_STATUS" ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    echo "slurm_train.sh: run preempted; requeueing job $SLURM_JOB_ID" >&2
    scontrol requeue "$SLURM_JOB_ID"
fi
exit "$status"
