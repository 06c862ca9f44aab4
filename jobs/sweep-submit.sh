#!/bin/bash
# sweep-submit.sh -- queue the demonstration-quality sweep: the job array
# (sweep.sbatch, one task per sweep point) and, after it, the gather job
# (sweep-gather.sh, --dependency=afterok on the whole array).
#
#   jobs/sweep-submit.sh [SBATCH OPTIONS...] [-- LANDSCAPE OPTIONS...]
#
# SBATCH OPTIONS (e.g. --partition=short --ntasks=8 --time=2:00:00) go to
# both submissions; LANDSCAPE OPTIONS to every ilrl-landscape run.  The array
# range follows the sweep points (ILRL_SWEEP_EPS), so do not pass --array.
# Prints "ARRAY_JOB_ID GATHER_JOB_ID" on stdout; exit 1 if sbatch fails.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ilrl-job.sh" || exit 1

sbatch_options=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do sbatch_options+=("$1"); shift; done
[ "${1:-}" = -- ] && shift

n_points=$(ilrl_sweep_points | wc -l)
array=$(sbatch --parsable --array=0-$((n_points - 1)) "${sbatch_options[@]}" \
        "$here/sweep.sbatch" "$@") || exit 1
array=${array%%;*}
gather=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
         "${sbatch_options[@]}" "$here/sweep-gather.sh") || exit 1
gather=${gather%%;*}
ilrl_log "sweep: array job $array ($n_points tasks), gather job $gather after it"
echo "$array $gather"
