#!/bin/bash
# headstart-landscapes.sh -- the landscapes at the trained points of the
# head-start experiment, for seed 1 of every condition (its trajectory keeps
# theta every 5 rows: jobs/headstart-task.sh).  Run after the tasks (and the
# gather): by `make headstart-landscapes` (also part of `make headstart`),
# or as a batch job that headstart-submit.sh queues after the gather:
#   bash jobs/headstart-landscapes.sh     (same ILRL_OUTDIR and ILRL_HEADSTART_*)
#
# For each environment and condition C, with C's demonstration (RL from
# scratch: the strong one) for L_IL, L_RL and the return surface, into
# DIR/landscapes/ENV/:
#   theta0-DEMO.nc          the default plane around theta0 (checkpoint 0,
#                           the same for every condition: seed 1), once per
#                           demonstration: the reference "at theta0"
#   C-center-default.nc     the default plane around the trained point:
#                           theta_IL (the checkpoint at the end of IL) for the
#                           IL conditions, the final theta for scratch
#   C-center-gradients.nc   the gradients plane around the same point
#   C-trajectory.nc         the trajectory plane (PCA of all checkpoints,
#                           centred on the final theta), the path on it
# The first three carry the path too (--path: where it runs, and how far
# off the plane).  il-strong-bc leaves IL exactly as il-strong does (the
# retention term acts in RL only), so its centre planes are il-strong's and
# are not recomputed when the two theta_IL are equal (checked).
# Then ilrl-compare (compare.txt, compare.csv), one ilrl-plot figure per
# landscape (PNG beside it), and results/headstart/landscapes.py's summary
# (landscapes.md, landscapes.csv).
#
# Environment: as jobs/headstart-task.sh (ILRL_OUTDIR, ILRL_HEADSTART_ENVS,
# ILRL_HEADSTART_CONDITIONS, ILRL_BIN, ILRL_LAUNCHER), and
#   ILRL_HEADSTART_LANDSCAPE_OPTIONS  grid and return options (default
#       "--nx 21 --ny 21 --objective return --rollouts 4")
# Finished landscapes are kept (a rerun or a requeued job continues); an
# interrupted one resumes (jobs/ilrl-job.sh's ilrl_run_landscape).
# Exit status: 1 when a trajectory is missing or a program fails.
#
#SBATCH --job-name=ilrl-headstart-landscapes
#SBATCH --output=ilrl-%x-%j.out
#SBATCH --open-mode=append
#SBATCH --ntasks=4
#SBATCH --time=02:00:00
#SBATCH --signal=B:USR1@120
#SBATCH --requeue

jobs_dir=${ILRL_JOBS:-}
if [ -z "$jobs_dir" ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    script=$(scontrol show job -o "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/.* Command=\([^ ]*\).*/\1/p' | head -n 1)
    case $script in /*) ;; ?*) script=$SLURM_SUBMIT_DIR/$script ;; esac
    [ -n "$script" ] && jobs_dir=$(dirname "$script")
fi
jobs_dir=${jobs_dir:-$(dirname "$0")}
. "$jobs_dir/ilrl-job.sh" || { echo "headstart-landscapes.sh: jobs/ilrl-job.sh not found; set ILRL_JOBS" >&2; exit 1; }

dir=${ILRL_OUTDIR:-ilrl-headstart}
envs=${ILRL_HEADSTART_ENVS:-flappy-bird cartpole}
conditions=${ILRL_HEADSTART_CONDITIONS:-scratch il-strong il-poor il-noisy il-strong-bc}
# shellcheck disable=SC2206 # a list of options
grid=(${ILRL_HEADSTART_LANDSCAPE_OPTIONS:---nx 21 --ny 21 --objective return --rollouts 4})
python=$(ilrl_python) || exit 1
summary=${ILRL_HEADSTART_LANDSCAPE_SUMMARY:-$jobs_dir/../results/headstart/landscapes.py}
[ -r "$summary" ] || { ilrl_log "$summary not found (set ILRL_HEADSTART_LANDSCAPE_SUMMARY)"; exit 1; }

# checkpoint TRAJ -- the number of the trained point's checkpoint: the last
# IL checkpoint (theta_IL) when the run has an IL phase, else the last.
checkpoint() {
    "$python" - "$1" <<'PY'
import sys, netCDF4, numpy as np
with netCDF4.Dataset(sys.argv[1]) as d:
    phase = np.asarray(d["checkpoint_phase"][:])
    il_epochs = int(d.getncattr("il_epochs"))
il = np.flatnonzero(phase == 0)
print(il[-1] if il_epochs > 0 and il.size else phase.size - 1)
PY
}
# same_checkpoint A:K B:K -- true when the two checkpoints hold the same bits.
same_checkpoint() {
    "$python" - "$1" "$2" <<'PY'
import sys, netCDF4, numpy as np
def theta(spec):
    f, k = spec.rsplit(":", 1)
    with netCDF4.Dataset(f) as d:
        return np.asarray(d["checkpoint_theta"][int(k), :])
sys.exit(0 if np.array_equal(theta(sys.argv[1]), theta(sys.argv[2])) else 1)
PY
}
# landscape OUT ARGS... -- ilrl-landscape ARGS into OUT unless OUT is done.
landscape() {
    local out=$1; shift
    ilrl_requeue_if_signalled
    if ilrl_landscape_done "$out"; then ilrl_log "$out exists; keeping it"; return 0; fi
    ilrl_run_landscape "$@" "${grid[@]}" --quiet --out "$out" || { ilrl_log "ilrl-landscape failed for $out"; exit 1; }
}

files=()
for env in $envs; do
    land=$dir/landscapes/$env
    mkdir -p "$land" || exit 4
    declare -A centre=()
    for cond in $conditions; do
        traj=$dir/$env/$cond/seed-1.nc
        [ -e "$traj" ] && [ ! -e "$traj.partial" ] || { ilrl_log "$traj missing or unfinished"; exit 1; }
        case $cond in
            scratch|il-strong|il-strong-bc) demo=strong ;;
            il-poor) demo=poor ;;
            il-noisy) demo=noisy ;;
            *) ilrl_log "unknown condition '$cond'"; exit 2 ;;
        esac
        demo_file=$dir/$env/demo-$demo.nc
        [ -e "$demo_file" ] || { ilrl_log "$demo_file missing (made by the $env tasks that use it)"; exit 1; }
        k=$(checkpoint "$traj") || exit 1
        centre[$cond]=$traj:$k
        if [ ! -e "$land/theta0-$demo.nc" ] || [ -e "$land/theta0-$demo.nc.partial" ]; then
            landscape "$land/theta0-$demo.nc" --demo "$demo_file" --theta "$traj:0"
        fi
        case " ${files[*]} " in *" $land/theta0-$demo.nc "*) ;; *) files+=("$land/theta0-$demo.nc") ;; esac
        if [ "$cond" = il-strong-bc ] && [ -n "${centre[il-strong]:-}" ] && same_checkpoint "${centre[il-strong]}" "$traj:$k"; then
            ilrl_log "$env il-strong-bc: theta_IL equals il-strong's; its centre planes are il-strong's"
        else
            landscape "$land/$cond-center-default.nc" --demo "$demo_file" --theta "$traj:$k" --path "$traj"
            landscape "$land/$cond-center-gradients.nc" --demo "$demo_file" --theta "$traj:$k" --plane gradients --path "$traj"
            files+=("$land/$cond-center-default.nc" "$land/$cond-center-gradients.nc")
        fi
        landscape "$land/$cond-trajectory.nc" --demo "$demo_file" --plane "trajectory:$traj"
        files+=("$land/$cond-trajectory.nc")
    done
    unset centre
done

compare=$(ilrl_program ilrl-compare) || exit 1
"$compare" "${files[@]}" >"$dir/landscapes/compare.txt" || exit 1
"$compare" --csv "${files[@]}" >"$dir/landscapes/compare.csv" || exit 1
plot=$(ilrl_program ilrl-plot) || exit 1
for f in "${files[@]}"; do
    png=${f%.nc}.png
    [ -e "$png" ] && [ "$png" -nt "$f" ] && continue
    "$plot" "$f" --dpi 70 --force -o "$png" || exit 1
done
"$python" "$summary" "$dir/landscapes" || exit 1
cat "$dir/landscapes/landscapes.md"
