#!/bin/sh
# train_bench.sh -- by hand or from `make bench`: RL from scratch on
# CartPole, five seeds, PPO defaults, 500 000 environment steps each; prints
# per seed the environment steps at which the greedy mean over 20 fixed
# episodes first reached 475, and the run's environment steps per second.
# Usage: tests/train_bench.sh [BUILDDIR]   (RANKS=n for mpirun -n n)
build=${1:-.}
probe="$build/tests/train_probe"
dir=$(mktemp -d "${TMPDIR:-/tmp}/train-bench.XXXXXX")
launcher=""
[ -n "${RANKS:-}" ] && launcher="mpirun -q -n $RANKS --oversubscribe"
solved=0
for seed in 1 2 3 4 5; do
    start=$(date +%s.%N)
    $launcher "$build/src/ilrl-train" --env cartpole --rl-steps 500000 --eval-every 5 --eval-episodes 20 \
        --seed "$seed" --quiet --out "$dir/s$seed.nc" || exit 1
    end=$(date +%s.%N)
    steps=$("$probe" reach "$dir/s$seed.nc" eval_return 475) && solved=$((solved + 1))
    rate=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", 500000 / (e - s) }')
    echo "seed $seed: greedy >= 475 at $steps steps (best $("$probe" max "$dir/s$seed.nc" eval_return)); ~$rate env steps/s"
done
echo "solved: $solved of 5"
rm -rf "$dir"
