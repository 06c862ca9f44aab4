#!/bin/bash
# headstart-submit.sh -- queue the head-start experiment: the job array
# (headstart.sbatch, one task per environment x condition x seed) and, after
# it, the gather job (headstart-gather.sh, --dependency=afterok on the whole
# array), then the landscapes at the trained points
# (headstart-landscapes.sh, after the gather).
#
#   jobs/headstart-submit.sh [SBATCH OPTIONS...]
#
# SBATCH OPTIONS (e.g. --partition=short --time=2:00:00) go to every
# submission.  The array range follows the task list (jobs/headstart-task.sh
# --count, which reads ILRL_HEADSTART_*), so do not pass --array; the jobs
# inherit this shell's environment (ILRL_OUTDIR, budgets, seeds, ILRL_BIN).
# ILRL_HEADSTART_LANDSCAPES=0 leaves the landscapes out.
# Prints "ARRAY_JOB_ID GATHER_JOB_ID [LANDSCAPES_JOB_ID]" on stdout; exit 1 if
# sbatch fails.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ilrl-job.sh" || exit 1
export ILRL_JOBS=$here

n=$(bash "$here/headstart-task.sh" --count) || exit 1
[ "$n" -gt 0 ] || { ilrl_log "headstart: no tasks (ILRL_HEADSTART_*)"; exit 2; }
array=$(sbatch --parsable --array=0-$((n - 1)) "$@" "$here/headstart.sbatch") || exit 1
array=${array%%;*}
gather=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
         "$@" "$here/headstart-gather.sh") || exit 1
gather=${gather%%;*}
landscapes=
if [ "${ILRL_HEADSTART_LANDSCAPES:-1}" != 0 ] && [ -r "$here/headstart-landscapes.sh" ]; then
    landscapes=$(sbatch --parsable --dependency=afterok:"$gather" --kill-on-invalid-dep=yes \
                 "$@" "$here/headstart-landscapes.sh") || exit 1
    landscapes=${landscapes%%;*}
fi
ilrl_log "headstart: array job $array ($n tasks), gather job $gather${landscapes:+, landscapes job $landscapes} after it"
echo "$array $gather${landscapes:+ $landscapes}"
