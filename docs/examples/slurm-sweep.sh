#!/bin/bash
# A detgrad sweep split over a Slurm job array: array task K runs shard K of N, all into one
# directory on a file system every node sees.  Submit (the arguments after the script name are
# the spec: --preset NAME, or a SPEC.toml every node can read; the default is --preset full):
#
#   OUT=$PWD/runs/full sbatch docs/examples/slurm-sweep.sh --preset full
#   OUT=$PWD/runs/full sbatch --array=3,7 docs/examples/slurm-sweep.sh --preset full   # redo shards 3 and 7
#
# A task that is requeued or resubmitted continues its shard file (--resume).  When every task
# has finished:  detgrad merge "$OUT" && detgrad report "$OUT" --out "$OUT/report"
#
#SBATCH --job-name=detgrad-sweep
#SBATCH --array=1-8
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=16
#SBATCH --exclusive
#SBATCH --time=04:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

SHARDS="${SHARDS:-8}"                   # N: equal to the last index of --array=1-N above, in every task
OUT="${OUT:-$PWD/runs/detgrad-sweep}"   # shared by the shards: each writes OUT/run.shard-K-of-N.jsonl
K="${SLURM_ARRAY_TASK_ID:?submit with sbatch, which sets SLURM_ARRAY_TASK_ID}"
[ "$#" -gt 0 ] || set -- --preset full

# One sweep per node (--exclusive: nothing else runs beside it), pinned to the task's cores;
# TensorFlow's default intra-op pool (the spec's threads = 0) gets one thread per core.
CPUS="${SLURM_CPUS_PER_TASK:-1}"
export TF_NUM_INTRAOP_THREADS="$CPUS" OMP_NUM_THREADS="$CPUS"
srun --ntasks=1 --cpus-per-task="$CPUS" --cpu-bind=cores detgrad sweep "$@" --out "$OUT" --shard "$K/$SHARDS" --resume
