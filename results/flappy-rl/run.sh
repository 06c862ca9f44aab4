#!/bin/sh
# run.sh BUILD_SRC OUT_DIR [LAUNCHER] -- the best Flappy Bird training
# setting found by the search in README.md, on several seeds, and the table
# of environment steps to 1, 10 and 50 pipes.  `make bench-flappy-rl` runs
# it (on all local cores); by hand:
#
#   SEEDS="1 2 3" results/flappy-rl/run.sh src /tmp/frl "mpirun -n 2"
#
#   BUILD_SRC  directory holding ilrl-train
#   OUT_DIR    where seedN.nc (one trajectory per seed) and table.md go
#   LAUNCHER   MPI launcher with its rank count (default: none, one rank);
#              the trajectories have the same bits for any rank count, so
#              it changes the wall time only
#   SEEDS      (environment) the seeds, default "1 2 3"
#   SETTING    (environment) `best` (default: IL, then RL keeping some IL)
#              or `scratch` (the best RL from scratch: PPO, sparse
#              rewards, gamma 0.999, 8 million steps; files scratch-seedN.nc,
#              table scratch-table.md)
#   PYTHON     (environment) a Python 3 with numpy and netCDF4, default
#              /usr/bin/python3
#
# A seed whose OUT_DIR/seedN.nc exists is not run again (delete the file to
# redo it), so seeds can be run in parallel by separate calls and tabulated
# by a last one.
#
# Decisions (the reasons are in README.md):
#  - The setting: behaviour cloning on the strong demonstration
#    (results/strong-demo.nc, 5 episodes, 15 000 frames) for 400 epochs,
#    then PPO in the demonstration's environment (Flappy Bird, sparse
#    rewards) for 3 000 000 environment steps, keeping 0.1 * L_IL(demo) in
#    the objective (--bc-weight 0.1).  Everything else is ilrl-train's
#    default: Adam 1e-3 in both phases, IL minibatch 256, 16 episodes per
#    update, PPO clip 0.2, 4 epochs of 4 minibatches, gamma 0.99.
#  - SETTING=scratch: PPO from theta0 (seed S), sparse rewards, gamma 0.999,
#    defaults otherwise; the only setting without IL that reached 50 pipes
#    in the search.
#  - Episodes last at most 3000 frames (--rollout-steps), in training and in
#    the greedy evaluation: the first pipe is passed at frame 60 and then one
#    every 37.7 frames on average, so an episode holds at most 79 pipes (the
#    strong pilot's score), an evaluation of 79.0 means that all 10 episodes
#    survived 3000 frames, and 50 pipes take about 1900 frames.
#  - "Steps to N pipes" is the cumulative environment steps (env_steps) of
#    the first trajectory row whose greedy evaluation (eval_score: mean
#    pipes of 10 fixed episodes, every 10 rows) is >= N.  Rows of the IL
#    phase have 0 environment steps (they use demonstration samples, 15 000
#    per epoch); the table says at which IL epoch.  It also gives the first
#    evaluation >= 50 in the RL phase and the mean of the last 5
#    evaluations, since a single evaluation can be a lucky one.
set -u
bin=${1:?usage: run.sh BUILD_SRC OUT_DIR [LAUNCHER]}
dir=${2:?usage: run.sh BUILD_SRC OUT_DIR [LAUNCHER]}
launch=${3:-}
seeds=${SEEDS:-1 2 3}
python=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
demo=$here/../strong-demo.nc
[ -r "$demo" ] || { echo "run.sh: $demo not found" >&2; exit 1; }
mkdir -p "$dir" || exit 1

common="--rollout-steps 3000 --eval-every 10 --eval-episodes 10"
case ${SETTING:-best} in
    best) options="--demo $demo --il-epochs 400 --rl-steps 3000000 --bc-weight 0.1 $common" prefix= ;;
    scratch) options="--env flappy-bird --rewards sparse --gamma 0.999 --rl-steps 8000000 $common" prefix=scratch- ;;
    *) echo "run.sh: SETTING must be best or scratch, not '$SETTING'" >&2; exit 2 ;;
esac

files=
for seed in $seeds; do
    out=$dir/${prefix}seed$seed.nc
    files="$files $out"
    [ -e "$out" ] && continue
    start=$(date +%s)
    # shellcheck disable=SC2086
    $launch "$bin/ilrl-train" $options --seed "$seed" --quiet --force --out "$out" || {
        echo "run.sh: seed $seed failed" >&2; exit 1; }
    echo "seed $seed: $(( $(date +%s) - start )) s" >&2
done

# shellcheck disable=SC2086
"$python" - $files >"$dir/${prefix}table.md" <<'PY' || exit 1
import sys

import netCDF4
import numpy as np

THRESHOLDS = (1, 10, 50)


def row(path):
    d = netCDF4.Dataset(path)
    score = np.asarray(d['eval_score'][:], dtype=float)
    steps = np.asarray(d['env_steps'][:], dtype=np.int64)
    phase = np.asarray(d['phase'][:], dtype=int)
    wall = float(np.asarray(d['wall_seconds'][:])[-1])
    seed = int(d.getncattr('seed'))
    il_epochs = int(d.getncattr('il_epochs'))
    d.close()
    ok = ~np.isnan(score)
    cells = []
    for t in THRESHOLDS:
        hit = np.nonzero(ok & (score >= t))[0]
        if len(hit) == 0:
            cells.append('not within %.2fM' % (steps[-1] / 1e6))
        elif phase[hit[0]] == 0:
            # row k of the IL phase is epoch k (row 0 is theta0)
            cells.append('0 (IL epoch %d)' % hit[0])
        else:
            cells.append('%.2fM' % (steps[hit[0]] / 1e6))
    hit = np.nonzero(ok & (phase == 1) & (score >= 50))[0]
    rl50 = '%.2fM' % (steps[hit[0]] / 1e6) if len(hit) else 'never'
    il = ok & (phase == 0)
    end_il = '%.1f' % score[il][-1] if il_epochs > 0 and il.any() else '-'
    evals = score[ok]
    return ('| %d | %s | %s | %s | %s | %s | %.1f | %.1f | %.1f | %.2fM | %.0f |'
            % (seed, *cells, rl50, end_il, evals.max(), evals[-1], evals[-5:].mean(),
               steps[-1] / 1e6, wall))


print('| seed | env steps to 1 pipe | to 10 pipes | to 50 pipes | RL phase: first >= 50 '
      '| score at the end of IL | best score | final score | mean of last 5 evaluations '
      '| env steps | wall s |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for path in sys.argv[1:]:
    print(row(path))
PY
cat "$dir/${prefix}table.md"
