#!/bin/bash
# headstart-gather.sh -- the analysis of the head-start experiment, once
# every task of jobs/headstart.sbatch (or of `make headstart`) has finished.
# A batch script (queued by headstart-submit.sh with --dependency=afterok on
# the array) that also runs by hand:
#   bash jobs/headstart-gather.sh      (same ILRL_OUTDIR and ILRL_HEADSTART_*)
#
# Checks that every task's trajectory (jobs/headstart-task.sh --list) is
# finished, then runs results/headstart/headstart.py on $ILRL_OUTDIR
# (default ilrl-headstart), which writes there per-seed.csv, table-ENV.csv,
# curves-ENV.csv, tables.md and headstart-ENV.png (IQM curves with 95 %
# stratified-bootstrap bands; see that script's header for every decision).
# ILRL_HEADSTART_ANALYSIS names another copy of headstart.py;
# ILRL_HEADSTART_RESAMPLES sets the bootstrap resamples (default 5000).
# Exit status 1 when a trajectory is missing or unfinished or the analysis
# fails.
#
#SBATCH --job-name=ilrl-headstart-gather
#SBATCH --output=ilrl-%x-%j.out
#SBATCH --ntasks=1
#SBATCH --time=00:15:00

jobs_dir=${ILRL_JOBS:-}
if [ -z "$jobs_dir" ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    script=$(scontrol show job -o "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/.* Command=\([^ ]*\).*/\1/p' | head -n 1)
    case $script in /*) ;; ?*) script=$SLURM_SUBMIT_DIR/$script ;; esac
    [ -n "$script" ] && jobs_dir=$(dirname "$script")
fi
jobs_dir=${jobs_dir:-$(dirname "$0")}
. "$jobs_dir/ilrl-job.sh" || { echo "headstart-gather.sh: jobs/ilrl-job.sh not found; set ILRL_JOBS" >&2; exit 1; }

dir=${ILRL_OUTDIR:-ilrl-headstart}
tasks=$(ILRL_JOBS=$jobs_dir bash "$jobs_dir/headstart-task.sh" --list) || exit 1
missing=0
while read -r _ env cond seed; do
    f=$dir/$env/$cond/seed-$seed.nc
    if [ ! -e "$f" ] || [ -e "$f.partial" ]; then
        ilrl_log "$f missing or unfinished"; missing=$((missing + 1))
    fi
done <<<"$tasks"
[ "$missing" -eq 0 ] || { ilrl_log "$missing of $(echo "$tasks" | wc -l) trajectories missing"; exit 1; }

analysis=${ILRL_HEADSTART_ANALYSIS:-$jobs_dir/../results/headstart/headstart.py}
[ -r "$analysis" ] || { ilrl_log "$analysis not found (set ILRL_HEADSTART_ANALYSIS)"; exit 1; }
python=$(ilrl_python) || exit 1
ilrl_log "$python $analysis $dir ($(echo "$tasks" | wc -l) trajectories)"
"$python" "$analysis" "$dir" --resamples "${ILRL_HEADSTART_RESAMPLES:-5000}" || exit 1
cat "$dir/tables.md"
