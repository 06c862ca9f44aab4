# headstart.sh -- the head-start experiment's scripts on the local path, with
# tiny budgets (a few seconds): the statistics of the gather against hand
# computations (tests/headstart_stats.py: IQM of known numbers, stratified
# bootstrap counts, exact 2-seed resampling distribution, coverage, per-run
# metrics on synthetic trajectories), then 2 conditions x 2 seeds of CartPole
# through jobs/headstart-task.sh (two at a time, as `make headstart` runs
# them) and jobs/headstart-gather.sh, whose table must hold the IQM of the
# trajectories' own numbers; bad task indices, a rerun and a missing
# trajectory.
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-/usr/bin/python3}
ANALYSIS=$top_srcdir/results/headstart/headstart.py
TASK=$top_srcdir/jobs/headstart-task.sh
GATHER=$top_srcdir/jobs/headstart-gather.sh
cd "$WORK" || fail "no scratch dir"

"$PYTHON" "$top_srcdir/tests/headstart_stats.py" "$ANALYSIS" "$WORK" >stats.log 2>&1 \
    || { cat stats.log >&2; fail "headstart_stats.py"; }
grep -c '^ok:' stats.log | sed 's/^/statistics checks passed: /'

ILRL_BIN=$BIN ILRL_JOBS=$top_srcdir/jobs ILRL_OUTDIR=hs PYTHON=$PYTHON
ILRL_HEADSTART_ENVS=cartpole ILRL_HEADSTART_CONDITIONS="scratch il-strong" ILRL_HEADSTART_SEEDS=2
ILRL_HEADSTART_CARTPOLE_RL_STEPS=1500 ILRL_HEADSTART_IL_EPOCHS=3 ILRL_HEADSTART_EVAL_EPISODES=3
ILRL_HEADSTART_DEMO_OPTIONS="--episodes 2 --max-steps 60" ILRL_HEADSTART_RESAMPLES=2000
export ILRL_BIN ILRL_JOBS ILRL_OUTDIR PYTHON ILRL_HEADSTART_ENVS ILRL_HEADSTART_CONDITIONS \
    ILRL_HEADSTART_SEEDS ILRL_HEADSTART_CARTPOLE_RL_STEPS ILRL_HEADSTART_IL_EPOCHS \
    ILRL_HEADSTART_EVAL_EPISODES ILRL_HEADSTART_DEMO_OPTIONS ILRL_HEADSTART_RESAMPLES
unset ILRL_LAUNCHER SLURM_JOB_ID 2>/dev/null

run_expect 0 bash "$TASK" --count
[ "$(cat "$OUT_FILE")" = 4 ] || fail "--count: $(cat "$OUT_FILE"), expected 4"
run_expect 0 bash "$TASK" --list
printf '0 cartpole scratch 1\n1 cartpole scratch 2\n2 cartpole il-strong 1\n3 cartpole il-strong 2\n' >want.txt
cmp -s want.txt "$OUT_FILE" || fail "--list: $(cat "$OUT_FILE")"
run_expect 2 bash "$TASK" 4
assert_stderr 'task index 4 is beyond the 4 tasks'
run_expect 2 bash "$TASK" x1
assert_stderr 'usage: headstart-task.sh INDEX'
run_expect 2 env ILRL_HEADSTART_CONDITIONS=bogus bash "$TASK" 0
assert_stderr "unknown condition 'bogus'"

# the gather refuses to run before every task has finished
run_expect 1 bash "$GATHER"
assert_stderr 'hs/cartpole/scratch/seed-1.nc missing or unfinished'
assert_stderr '4 of 4 trajectories missing'

# all tasks, two at a time, as `make headstart` does
seq 0 3 | timeout 120 xargs -P 2 -n 1 bash "$TASK" 2>tasks.log || { cat tasks.log >&2; fail "tasks"; }
for f in scratch/seed-1.nc scratch/seed-2.nc il-strong/seed-1.nc il-strong/seed-2.nc \
         il-strong/seed-1.net.nc scratch/seed-1.net.nc demo-strong.nc; do
    [ -s "hs/cartpole/$f" ] || fail "task output hs/cartpole/$f missing"
done
[ ! -e hs/cartpole/il-strong/seed-2.net.nc ] || fail "only seed 1 writes its network"
ls hs/cartpole/*.tmp >/dev/null 2>&1 && fail "a temporary demo file was left"
ncdump -h hs/cartpole/il-strong/seed-2.nc | grep -q 'il_epochs=3 .*val_episodes=1 patience=10 rl_steps=1500 .*eval_every=1 eval_episodes=3 save_every=0' \
    || fail "il-strong seed 2: settings $(ncdump -h hs/cartpole/il-strong/seed-2.nc | grep settings)"
ncdump -h hs/cartpole/scratch/seed-1.nc | grep -q 'demo= env=cartpole .* seed=1 .*il_epochs=0 .*save_every=5' \
    || fail "scratch seed 1: settings $(ncdump -h hs/cartpole/scratch/seed-1.nc | grep settings)"
# a finished task is kept, not rerun
before=$(cksum <hs/cartpole/scratch/seed-2.nc)
run_expect 0 bash "$TASK" 1
assert_stderr 'seed-2.nc exists; keeping it'
[ "$(cksum <hs/cartpole/scratch/seed-2.nc)" = "$before" ] || fail "rerun changed a finished trajectory"

run_expect 0 bash "$GATHER"
for f in tables.md table-cartpole.csv curves-cartpole.csv per-seed.csv headstart-cartpole.png; do
    [ -s "hs/$f" ] || fail "gather did not write $f"
done
grep -q '^| il-strong | 2 |' hs/tables.md || fail "tables.md: no il-strong row with 2 seeds"
# the table's head start = IQM (2 seeds: the mean) of each run's evaluation
# at the switch, read here straight from the trajectories
"$PYTHON" - hs <<'PY' || fail "gather's table disagrees with the trajectories"
import csv, sys, netCDF4, numpy as np
d = sys.argv[1]
rows = {r["condition"]: r for r in csv.DictReader(open(d + "/table-cartpole.csv"))}
for cond in ("scratch", "il-strong"):
    starts, finals = [], []
    for seed in (1, 2):
        with netCDF4.Dataset("%s/cartpole/%s/seed-%d.nc" % (d, cond, seed)) as t:
            ev = np.ma.filled(t["eval_return"][:], np.nan)
            steps = t["env_steps"][:]
            at0 = [i for i in range(len(ev)) if steps[i] == 0 and not np.isnan(ev[i])]
            rl = [ev[i] for i in range(len(ev)) if steps[i] > 0 and not np.isnan(ev[i])]
            starts.append(ev[at0[-1]])
            finals.append(np.mean(([ev[at0[-1]]] + rl)[-3:]))
    r = rows[cond]
    for key, values in (("return:start", starts), ("return:final", finals)):
        want = np.mean(values)
        got, lo, hi = (float(r[key]), float(r[key + ":ci_low"]), float(r[key + ":ci_high"]))
        assert abs(got - want) < 1e-4 * max(1, abs(want)), (cond, key, got, want)
        assert abs(lo - min(values)) < 1e-4 * max(1, abs(lo)) and abs(hi - max(values)) < 1e-4 * max(1, abs(hi)), \
            (cond, key, lo, hi, values)
    if cond == "scratch":
        assert float(r["il_samples"]) == 0, r["il_samples"]
    else:
        assert float(r["il_samples"]) > 0 and 1 <= float(r["il_epochs"]) <= 3, (r["il_samples"], r["il_epochs"])
PY
exit 0
