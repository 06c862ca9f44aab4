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
#   3. train.sbatch on 2 tasks (srun --mpi=pmix): a short CartPole RL run
#      whose trajectory arrays equal `mpirun -n 2 ilrl-train`'s bit for bit
#      (tests/train_probe same; wall_seconds excepted), written by 2 ranks
#      (mpi_ranks: not 2 separate one-rank runs);
#   4. pre-emption of training: the same with --checkpoint 1 and more steps
#      (doubled until an uninterrupted run takes >= 6 s) gets USR1 in its
#      batch shell mid-run, requeues, resumes from OUT.partial and ends with
#      the uninterrupted run's arrays (preemption_train in check-lib.sh);
#   5. the sweep array (3 points, tiny grid) and its dependent gather job,
#      which must write sweep.csv (one row per point) and sweep.png;
#   6. experiment.sbatch on a tiny grid (compare table, CSV, panel figure).
# The cluster is stopped by PID on every exit path (trap), a watchdog ends
# the whole test after ILRL_SLURM_TEST_TIMEOUT seconds (default 900), and
# every wait has its own deadline, so CI cannot hang here (tests/slurm/
# check-lib.sh, shared with check-cluster.sh).
#
# Environment: top_srcdir, top_builddir (set by make), PYTHON,
#   ILRL_SLURM_REQUEUE_NX  starting grid side of the pre-emption run (default
#                          451; grown until an uninterrupted run takes >= 6 s)
#   ILRL_SLURM_TRAIN_STEPS starting CartPole steps of the training pre-emption
#                          run (default 50000)
#   ILRL_SLURM_TIMELIMIT=1 also run a 1-minute job into its real time limit
#                          (Slurm's own --signal warning; ~3 more minutes)
#   ILRL_SLURM_KEEP=1      keep the scratch directory even on success
set -u
TEST=slurm NODES=1 TEST_TIMEOUT=${ILRL_SLURM_TEST_TIMEOUT:-900}
. "$(cd "$(dirname "$0")" && pwd)/check-lib.sh"

timeout 60 sbatch -Q -W -o "$WORK/hostname.out" --wrap hostname || fail "trivial job failed"
[ "$(cat "$WORK/hostname.out")" = "$(hostname)" ] || fail "trivial job printed '$(cat "$WORK/hostname.out")'"
pass "cluster up, trivial job ran"

mpirun_2() { timeout -k 10 300 mpirun -n 2 --oversubscribe "$BIN/ilrl-landscape" "$@"; }
mpirun_2_train() { timeout -k 10 300 mpirun -n 2 --oversubscribe "$BIN/ilrl-train" "$@"; }
for program in "$BIN/ilrl-train" "$top_builddir/tests/train_probe"; do
    [ -x "$program" ] || fail "$program not built (make check-slurm builds it)"
done

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
preemption_test 6 mpirun_2 --ntasks=2
pass "USR1 to the batch shell: checkpoint, requeue (Restarts=$restarts), resume; result equals uninterrupted run"

# ---- 3. one training run, 2 tasks ---------------------------------------------
train="--env cartpole --rl-steps 20000 --batch-episodes 8 --eval-every 5 --eval-episodes 3 --save-every 4 --quiet"
# shellcheck disable=SC2086
mpirun_2_train $train --out ref-train.nc >/dev/null 2>&1 || fail "reference training run outside Slurm failed"
# shellcheck disable=SC2086
timeout 300 sbatch -Q -W --ntasks=2 --job-name=train "$JOBS/train.sbatch" $train --out train.nc \
    || fail "train.sbatch job failed"
grep -q 'srun --mpi=pmix' ilrl-train-*.out || fail "train.sbatch did not launch with srun --mpi=pmix"
same_trajectory train.nc ref-train.nc
trained_on train.nc 2
pass "train.sbatch (srun --mpi=pmix, 2 tasks) equals mpirun -n 2 ilrl-train"

# ---- 4. training: pre-timeout signal, checkpoint, requeue, resume ------------------
preemption_train 6 2 mpirun_2_train --ntasks=2
pass "train.sbatch: USR1 to the batch shell, checkpoint, requeue (Restarts=$restarts), resume; trajectory equals uninterrupted run"

# ---- 5. sweep array + dependent gather --------------------------------------------
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

# ---- 6. the reference experiment ------------------------------------------------------
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

# ---- 7. (opt-in) a real time limit ---------------------------------------------------
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
. "$SLURM_TESTS/headstart-case.sh" && headstart_case   # the head-start array + gather
exit 0
