# headstart-case.sh -- the head-start experiment's Slurm path, for
# tests/slurm/check-slurm.sh (sourced after tests/slurm/check-lib.sh, which
# provides the running cluster, WORK, JOBS, BIN, fail, pass and wait_job).
#
# headstart_case: a tiny head start (CartPole, 2 conditions x 2 seeds, tiny
# budgets) through jobs/headstart-submit.sh: the job array
# (jobs/headstart.sbatch, one task per condition x seed) must complete, then
# the dependent gather job (jobs/headstart-gather.sh) must write its tables
# and figure; an array task's trajectory must equal, bit for bit, the same
# task run outside Slurm by jobs/headstart-task.sh.
headstart_case() {
    (
        ILRL_HEADSTART_ENVS=cartpole ILRL_HEADSTART_CONDITIONS="scratch il-strong" ILRL_HEADSTART_SEEDS=2
        ILRL_HEADSTART_CARTPOLE_RL_STEPS=1500 ILRL_HEADSTART_IL_EPOCHS=3 ILRL_HEADSTART_EVAL_EPISODES=3
        ILRL_HEADSTART_DEMO_OPTIONS="--episodes 2 --max-steps 60" ILRL_HEADSTART_RESAMPLES=2000
        ILRL_HEADSTART_LANDSCAPES=0
        export ILRL_HEADSTART_ENVS ILRL_HEADSTART_CONDITIONS ILRL_HEADSTART_SEEDS \
            ILRL_HEADSTART_CARTPOLE_RL_STEPS ILRL_HEADSTART_IL_EPOCHS ILRL_HEADSTART_EVAL_EPISODES \
            ILRL_HEADSTART_DEMO_OPTIONS ILRL_HEADSTART_RESAMPLES ILRL_HEADSTART_LANDSCAPES
        ILRL_OUTDIR=headstart timeout 30 bash "$JOBS/headstart-submit.sh" --ntasks=1 >headstart-ids.txt \
            || fail "headstart-submit.sh failed"
        read -r array gather rest <headstart-ids.txt
        [ -n "$gather" ] && [ -z "$rest" ] || fail "headstart-submit.sh printed '$(cat headstart-ids.txt)'"
        states=$(wait_job "$array" 300)
        [ "$states" = "COMPLETED " ] || fail "headstart array $array ended $states"
        [ "$(job_state "$array" | wc -l)" -eq 4 ] || fail "headstart array $array: $(job_state "$array" | wc -l) tasks, expected 4"
        states=$(wait_job "$gather" 300)
        [ "$states" = "COMPLETED " ] || fail "headstart gather job $gather ended $states"
        for f in tables.md table-cartpole.csv curves-cartpole.csv per-seed.csv headstart-cartpole.png; do
            [ -s "headstart/$f" ] || fail "headstart gather did not write $f"
        done
        [ "$(sed 1d headstart/per-seed.csv | wc -l)" -eq 4 ] || fail "per-seed.csv: $(cat headstart/per-seed.csv)"
        grep -q '^| scratch | 2 |' headstart/tables.md && grep -q '^| il-strong | 2 |' headstart/tables.md \
            || fail "tables.md: $(cat headstart/tables.md)"
        # array task 3 (il-strong, seed 2) against the same task outside Slurm
        ILRL_OUTDIR=headstart-ref timeout 120 bash "$JOBS/headstart-task.sh" 3 2>/dev/null \
            || fail "headstart-task.sh 3 outside Slurm failed"
        for d in headstart headstart-ref; do
            ncdump -p 9,17 -v checkpoint_theta,eval_return "$d/cartpole/il-strong/seed-2.nc" | sed -n '/^data:/,$p' >"$d.cdl" \
                || fail "ncdump of $d/cartpole/il-strong/seed-2.nc failed"
        done
        grep -q 'checkpoint_theta =' headstart.cdl || fail "no checkpoint_theta in the array task's trajectory"
        cmp -s headstart.cdl headstart-ref.cdl || fail "array task 3 differs from the same task outside Slurm"
        pass "headstart array ($array, 4 tasks) + gather ($gather): tables, curves, figure; task 3 equals a local run"
    ) || exit 1
}
