# train_cartpole -- RL from scratch learns: PPO with the default settings
# on CartPole reaches a greedy mean return >= 475 over 20 fixed episodes
# within 150 000 environment steps (seed 1 reaches it at about 64 000;
# tests/train_bench.sh runs five seeds with the full 500 000 budget).
. "$top_srcdir/tests/lib.sh"
PROBE="$top_builddir/tests/train_probe"
cd "$WORK" || exit 1
run_expect 0 "$BIN/ilrl-train" --env cartpole --rl-steps 150000 --eval-every 5 --eval-episodes 20 \
    --seed 1 --quiet --out cartpole.nc
steps=$("$PROBE" reach cartpole.nc eval_return 475) \
    || fail "CartPole not solved in 150 000 steps: best greedy mean $("$PROBE" max cartpole.nc eval_return)"
echo "greedy mean >= 475 over 20 episodes after $steps environment steps"
