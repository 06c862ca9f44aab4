# headstart-case.sh -- the head-start experiment's Slurm path, for
# tests/slurm/check-slurm.sh (sourced after tests/slurm/check-lib.sh, which
# provides the running cluster, WORK, JOBS, BIN, fail, pass and wait_job).
#
# headstart_case: a tiny head start (CartPole, 2 conditions x 2 seeds, tiny
# budgets) through jobs/headstart-submit.sh: the job array
# (jobs/headstart.sbatch, one task per condition x seed) must complete, then
# the dependent gather job (jobs/headstart-gather.sh) must write its tables
# and figure, then the landscapes job (jobs/headstart-landscapes.sh, 5 x 5
# grids) its 7 landscapes, figures and summary; an array task's trajectory
# must equal, bit for bit, the same task run outside Slurm by
# jobs/headstart-task.sh, and a landscape the same ilrl-landscape run
# outside Slurm.  (--save-every 2: the tiny runs need 3 distinct checkpoints
# for a trajectory plane.)
headstart_case() {
    (
        ILRL_HEADSTART_ENVS=cartpole ILRL_HEADSTART_CONDITIONS="scratch il-strong" ILRL_HEADSTART_SEEDS=2
        ILRL_HEADSTART_CARTPOLE_RL_STEPS=1500 ILRL_HEADSTART_IL_EPOCHS=3 ILRL_HEADSTART_EVAL_EPISODES=3
        ILRL_HEADSTART_DEMO_OPTIONS="--episodes 2 --max-steps 60" ILRL_HEADSTART_RESAMPLES=2000
        ILRL_HEADSTART_TRAIN_OPTIONS="--save-every 2"
        ILRL_HEADSTART_LANDSCAPE_OPTIONS="--nx 5 --ny 5 --objective return --rollouts 1 --rollout-steps 100"
        export ILRL_HEADSTART_ENVS ILRL_HEADSTART_CONDITIONS ILRL_HEADSTART_SEEDS \
            ILRL_HEADSTART_CARTPOLE_RL_STEPS ILRL_HEADSTART_IL_EPOCHS ILRL_HEADSTART_EVAL_EPISODES \
            ILRL_HEADSTART_DEMO_OPTIONS ILRL_HEADSTART_RESAMPLES ILRL_HEADSTART_TRAIN_OPTIONS \
            ILRL_HEADSTART_LANDSCAPE_OPTIONS
        unset ILRL_HEADSTART_LANDSCAPES
        ILRL_OUTDIR=headstart timeout 30 bash "$JOBS/headstart-submit.sh" --ntasks=1 >headstart-ids.txt \
            || fail "headstart-submit.sh failed"
        read -r array gather landscapes rest <headstart-ids.txt
        [ -n "$landscapes" ] && [ -z "$rest" ] || fail "headstart-submit.sh printed '$(cat headstart-ids.txt)'"
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
        states=$(wait_job "$landscapes" 600)
        [ "$states" = "COMPLETED " ] || fail "headstart landscapes job $landscapes ended $states"
        [ "$(grep -c '^| cartpole |' headstart/landscapes/landscapes.md)" -eq 7 ] \
            || fail "landscapes.md: $(cat headstart/landscapes/landscapes.md)"
        [ -s headstart/landscapes/paths-cartpole.png ] && [ -s headstart/landscapes/cartpole/il-strong-trajectory.png ] \
            || fail "headstart landscapes: figures missing"
        timeout 120 "$BIN/ilrl-landscape" --demo headstart/cartpole/demo-strong.nc \
            --plane trajectory:headstart/cartpole/il-strong/seed-1.nc $ILRL_HEADSTART_LANDSCAPE_OPTIONS \
            --quiet --out headstart-ref-trajectory.nc >/dev/null 2>&1 || fail "reference trajectory-plane landscape failed"
        same_losses headstart/landscapes/cartpole/il-strong-trajectory.nc headstart-ref-trajectory.nc
        pass "headstart array ($array, 4 tasks) + gather ($gather) + landscapes ($landscapes): tables, curves, figures; task 3 and a landscape equal local runs"
    ) || exit 1
}
