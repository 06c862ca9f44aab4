#!/bin/sh
# check-slurm.sh -- the Slurm job scripts (jobs/) on a real single-node Slurm.
# Run by `make check-slurm`; needs root and the Debian packages slurm-wlm and
# munge (tests/install-deps.sh).  Exit 0 pass, 1 fail, 77 skip (no Slurm,
# not root, programs not built).
#
# It starts a private cluster (tests/slurm/cluster-start.sh) in a scratch
# directory, then checks, each against the same command run outside Slurm:
#   1. landscape.sbatch on 2 tasks (srun --mpi=pmix, and the mpirun
#      fallback): il_loss/rl_loss byte-identical to `mpirun -n 2`;
#   2. pre-emption: a longer landscape with --checkpoint 1 gets the
#      pre-timeout USR1 in its batch shell mid-run, requeues itself, resumes
#      from OUT.partial and ends byte-identical to an uninterrupted run;
#   3. the sweep array (3 points, tiny grid) and its dependent gather job,
#      which must write sweep.csv (one row per point) and sweep.png;
#   4. experiment.sbatch on a tiny grid (compare table, CSV, panel figure).
# The cluster is stopped by PID on every exit path (trap), a watchdog ends
# the whole test after ILRL_SLURM_TEST_TIMEOUT seconds (default 900), and
# every wait has its own deadline, so CI cannot hang here.
#
# Environment: top_srcdir, top_builddir (set by make), PYTHON,
#   ILRL_SLURM_REQUEUE_NX  starting grid side of the pre-emption run (default
#                          451; grown until an uninterrupted run takes >= 6 s)
#   ILRL_SLURM_TIMELIMIT=1 also run a 1-minute job into its real time limit
#                          (Slurm's own --signal warning; ~3 more minutes)
#   ILRL_SLURM_KEEP=1      keep the scratch directory even on success
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
JOBS=$top_srcdir/jobs
BIN=$top_builddir/src
SLURM_TESTS=$top_srcdir/tests/slurm

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (slurmd must launch jobs)"
for tool in munged slurmctld slurmd sbatch ncdump; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (tests/install-deps.sh)"
done
for program in ilrl-landscape ilrl-demo ilrl-compare; do
    [ -x "$BIN/$program" ] || skip "$BIN/$program not built (make first)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ilrl-slurm.XXXXXX") || exit 1
CLUSTER=$WORK/cluster
watchdog=
# kill_children PID -- SIGTERM every direct child of PID (found by PPid).
kill_children() {
    for s in /proc/[0-9]*/status; do
        [ "$(awk '/^PPid:/ {print $2}' "$s" 2>/dev/null)" = "$1" ] || continue
        p=${s#/proc/}; p=${p%/status}
        kill -TERM "$p" 2>/dev/null
    done
}
finish() {
    status=$?
    trap - EXIT INT TERM
    if [ -n "$watchdog" ]; then
        kill_children "$watchdog"   # its sleep
        kill "$watchdog" 2>/dev/null
    fi
    sh "$SLURM_TESTS/cluster-stop.sh" "$CLUSTER"
    for f in "$CLUSTER"/run/*.daemon.pid "$CLUSTER"/run/munged.pid; do
        [ -r "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && {
            echo "FAIL: daemon $(cat "$f") ($f) still running after stop" >&2; status=1; }
    done
    if [ "$status" -eq 0 ] && [ -z "${ILRL_SLURM_KEEP:-}" ]; then
        rm -rf "$WORK"
    else
        echo "scratch kept: $WORK" >&2
    fi
    exit "$status"
}
trap finish EXIT
trap 'echo "FAIL: interrupted" >&2; exit 1' INT TERM
# Watchdog: TERM to this shell and to its children (the shell runs its trap
# only once the foreground command, e.g. `sbatch -W`, has ended).
sh -c 'sleep "$1" || exit 0
       echo "FAIL: check-slurm.sh watchdog: over $1 s" >&2
       kill -TERM "$2"
       for s in /proc/[0-9]*/status; do
           [ "$(awk "/^PPid:/ {print \$2}" "$s" 2>/dev/null)" = "$2" ] || continue
           p=${s#/proc/}; p=${p%/status}
           [ "$p" = $$ ] || kill -TERM "$p" 2>/dev/null
       done' watchdog "${ILRL_SLURM_TEST_TIMEOUT:-900}" $$ &
watchdog=$!

fail() {
    echo "FAIL: $*" >&2
    for log in "$WORK"/ilrl-*.out; do
        [ -s "$log" ] || continue
        echo "--- $log" >&2; tail -n 40 "$log" >&2
    done
    for log in "$CLUSTER"/log/slurmctld.log "$CLUSTER"/log/slurmd.log; do
        [ -s "$log" ] && { echo "--- $log (last 15 lines)" >&2; tail -n 15 "$log" >&2; }
    done
    exit 1
}
pass() { echo "PASS: $*"; }

# The losses as text with 17 significant digits, which round-trips doubles:
# equal text <=> byte-identical il_loss and rl_loss.
losses() { ncdump -p 9,17 -v il_loss,rl_loss "$1" | sed -n '/^data:/,$p'; }
same_losses() {
    [ -e "$1" ] || fail "$1 missing"
    [ -e "$2" ] || fail "$2 missing"
    losses "$1" >"$WORK/a.cdl" && losses "$2" >"$WORK/b.cdl" || fail "ncdump failed on $1 or $2"
    grep -q 'il_loss =' "$WORK/a.cdl" && grep -q 'rl_loss =' "$WORK/a.cdl" || fail "$1 has no il_loss/rl_loss"
    cmp -s "$WORK/a.cdl" "$WORK/b.cdl" || fail "il_loss/rl_loss differ: $1 vs $2"
}

# job_state ID -- every JobState of job ID (several lines for an array).
job_state() { timeout 10 scontrol show job -o "$1" 2>/dev/null | sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p'; }
job_field() { timeout 10 scontrol show job -o "$1" 2>/dev/null | sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" | head -n 1; }
# wait_job ID SECONDS -- wait until every record of ID is in a final state;
# prints the states; fails on timeout.
wait_job() {
    deadline=$(( $(date +%s) + $2 ))
    while :; do
        states=$(job_state "$1" | sort -u | tr '\n' ' ')
        final=yes
        for s in $states; do
            case $s in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) ;; *) final= ;; esac
        done
        [ -n "$states" ] && [ -n "$final" ] && { echo "$states"; return 0; }
        [ "$(date +%s)" -lt "$deadline" ] || fail "job $1 not finished after $2 s (states: $states)"
        sleep 1
    done
}

# ---- the cluster -----------------------------------------------------------
timeout 120 sh "$SLURM_TESTS/cluster-start.sh" "$CLUSTER" || fail "cluster did not start"
. "$CLUSTER/env"
timeout 60 sbatch -Q -W -o "$WORK/hostname.out" --wrap hostname || fail "trivial job failed"
[ "$(cat "$WORK/hostname.out")" = "$(hostname)" ] || fail "trivial job printed '$(cat "$WORK/hostname.out")'"
pass "cluster up, trivial job ran"

# What every job needs: the build tree's programs, MPI as root, 2 cores.
ILRL_BIN=$BIN
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_MCA_rmaps_base_oversubscribe=1
export ILRL_BIN OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_rmaps_base_oversubscribe
[ -n "${PYTHON:-}" ] && export PYTHON
unset ILRL_LAUNCHER ILRL_OUTDIR ILRL_SWEEP_EPS ILRL_JOBS 2>/dev/null
cd "$WORK" || exit 1
mpirun_2() { timeout -k 10 300 mpirun -n 2 --oversubscribe "$BIN/ilrl-landscape" "$@"; }

# ---- 1. one landscape, 2 tasks ----------------------------------------------
small="--nx 31 --ny 23 --tile 8 --quiet"
# shellcheck disable=SC2086
mpirun_2 $small --out ref-small.nc >/dev/null 2>&1 || fail "reference run outside Slurm failed"
# shellcheck disable=SC2086
timeout 300 sbatch -Q -W --ntasks=2 --job-name=small "$JOBS/landscape.sbatch" $small --out small.nc \
    || fail "landscape.sbatch job failed"
grep -q 'srun --mpi=pmix' ilrl-small-*.out || fail "landscape.sbatch did not launch with srun --mpi=pmix"
same_losses small.nc ref-small.nc
pass "landscape.sbatch (srun --mpi=pmix, 2 tasks) equals mpirun -n 2"

# shellcheck disable=SC2086
ILRL_LAUNCHER=mpirun timeout 300 sbatch -Q -W --ntasks=2 --job-name=small-mpirun \
    "$JOBS/landscape.sbatch" $small --out small-mpirun.nc || fail "landscape.sbatch with mpirun failed"
same_losses small-mpirun.nc ref-small.nc
pass "landscape.sbatch (ILRL_LAUNCHER=mpirun) equals mpirun -n 2"

# ---- 2. pre-timeout signal: checkpoint, requeue, resume ------------------------
# The run must outlast its first checkpoint by several seconds: grow the grid
# until the reference (same 2 cores) takes >= 6 s.
n=${ILRL_SLURM_REQUEUE_NX:-451}
while :; do
    big="--nx $n --ny $n --quiet"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    mpirun_2 $big --out ref-big.nc --force >/dev/null 2>&1 || fail "reference run ($n x $n) outside Slurm failed"
    elapsed=$(( $(date +%s) - t0 ))
    echo "     uninterrupted $n x $n reference: $elapsed s"
    [ "$elapsed" -ge 6 ] || [ "$n" -ge 4000 ] && break
    n=$(( n * 3 / 2 ))
done
# shellcheck disable=SC2086
job=$(sbatch --parsable --ntasks=2 --job-name=big "$JOBS/landscape.sbatch" $big --checkpoint 1 --out big.nc) \
    || fail "sbatch of the pre-emption job failed"
job=${job%%;*}
deadline=$(( $(date +%s) + 120 ))
until [ -e big.nc.partial ]; do
    [ -e big.nc ] && fail "job $job finished before the signal: raise ILRL_SLURM_REQUEUE_NX"
    [ "$(date +%s)" -lt "$deadline" ] || fail "no checkpoint big.nc.partial after 120 s"
    sleep 0.5
done
timeout 10 scancel --batch --signal=USR1 "$job" || fail "scancel --batch --signal=USR1 $job failed"
states=$(wait_job "$job" 600)
[ "$states" = "COMPLETED " ] || fail "pre-emption job $job ended $states"
restarts=$(job_field "$job" Restarts)
[ "${restarts:-0}" -ge 1 ] || fail "job $job was not requeued (Restarts=$restarts)"
grep -q 'requeueing job' ilrl-big-"$job".out || fail "no requeue in the log"
grep -q -- '--resume' ilrl-big-"$job".out || fail "restart did not pass --resume"
[ ! -e big.nc.partial ] || fail "big.nc.partial left behind"
same_losses big.nc ref-big.nc
pass "USR1 to the batch shell: checkpoint, requeue (Restarts=$restarts), resume; result equals uninterrupted run"

# ---- 3. sweep array + dependent gather --------------------------------------------
ILRL_SWEEP_EPS="0 0.05" ILRL_OUTDIR=sweep ILRL_DEMO_OPTIONS="--episodes 2 --max-steps 200" \
    timeout 30 bash "$JOBS/sweep-submit.sh" --ntasks=1 -- --nx 9 --ny 7 --quiet >sweep-ids.txt \
    || fail "sweep-submit.sh failed"
read -r array gather <sweep-ids.txt
states=$(wait_job "$array" 300)
[ "$states" = "COMPLETED " ] || fail "sweep array $array ended $states"
states=$(wait_job "$gather" 300)
[ "$states" = "COMPLETED " ] || fail "gather job $gather ended $states"
[ "$(sed 1d sweep/sweep.csv | wc -l)" -eq 3 ] || fail "sweep.csv: expected 3 rows: $(cat sweep/sweep.csv)"
head -n 1 sweep/sweep.csv | grep -q '^label,pilot,eps,episodes,mean_score,mean_return,pearson,spearman$' \
    || fail "sweep.csv header: $(head -n 1 sweep/sweep.csv)"
grep -q '^poor,poor,' sweep/sweep.csv && grep -q '^eps-0.05,noisy:0.05,0.05,' sweep/sweep.csv \
    || fail "sweep.csv rows: $(cat sweep/sweep.csv)"
[ -s sweep/sweep.png ] || fail "sweep.png not written"
for label in poor eps-0 eps-0.05; do
    "$BIN/ilrl-landscape" --demo "sweep/$label-demo.nc" --nx 9 --ny 7 --quiet \
        --out "ref-$label.nc" >/dev/null 2>&1 || fail "reference run for $label failed"
    same_losses "sweep/$label.nc" "ref-$label.nc"
done
pass "sweep array ($array, 3 tasks) + gather ($gather): sweep.csv, sweep.png"
sed 's/^/     /' sweep/sweep.csv

# ---- 4. the reference experiment ------------------------------------------------------
if [ -x "$BIN/ilrl-plot" ]; then
    ILRL_OUTDIR=experiment ILRL_DEMO_OPTIONS="--episodes 2 --max-steps 300" \
        timeout 600 sbatch -Q -W --ntasks=2 --job-name=experiment "$JOBS/experiment.sbatch" \
        --nx 11 --ny 11 --quiet || fail "experiment.sbatch failed"
    for f in poor-demo.nc strong-demo.nc poor.nc strong.nc compare.txt compare.csv panel.png; do
        [ -s "experiment/$f" ] || fail "experiment.sbatch did not write $f"
    done
    pass "experiment.sbatch: demos, landscapes, compare.txt/.csv, panel.png"
else
    echo "SKIP: experiment.sbatch ($BIN/ilrl-plot not built)"
fi

# ---- 5. (opt-in) a real time limit ---------------------------------------------------
# Slurm itself sends the --signal=B:USR1@55 warning of a 1-minute job; it
# checks time limits every ~30 s, so the run must outlast ~35 s.  About 3
# minutes in all, hence only with ILRL_SLURM_TIMELIMIT=1.
if [ -n "${ILRL_SLURM_TIMELIMIT:-}" ]; then
    n=${ILRL_SLURM_TIMELIMIT_NX:-1401}
    big="--nx $n --ny $n --quiet"
    # shellcheck disable=SC2086
    job=$(sbatch --parsable --ntasks=2 --time=1 --signal=B:USR1@55 --job-name=limit \
          "$JOBS/landscape.sbatch" $big --checkpoint 5 --out limit.nc) || fail "sbatch of the time-limit job failed"
    job=${job%%;*}
    # shellcheck disable=SC2086
    mpirun_2 $big --out ref-limit.nc >/dev/null 2>&1 || fail "reference run ($n x $n) outside Slurm failed"
    states=$(wait_job "$job" 600)
    [ "$states" = "COMPLETED " ] || fail "time-limit job $job ended $states"
    restarts=$(job_field "$job" Restarts)
    [ "${restarts:-0}" -ge 1 ] || fail "time-limit job $job finished without being signalled: raise ILRL_SLURM_TIMELIMIT_NX"
    same_losses limit.nc ref-limit.nc
    pass "time limit: Slurm's USR1 warning, requeue (Restarts=$restarts), resume; result equals uninterrupted run"
fi
exit 0
