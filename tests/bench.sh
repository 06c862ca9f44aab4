#!/bin/sh
# bench.sh -- `make bench`: the benchmark table of issue 9.  Speed and memory
# targets live here, never in timed tests.
#
# Rows: the random and the weights plane of the default 12,64,64,2 tanh
# network on a ~2000-step strong demo, on 1 and 2 ranks; a 4001 x 4001
# weights plane (time and memory); and the batched numpy implementation of
# the same computation (tests/bench_numpy.py, OpenBLAS with 2 threads,
# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for that measurement only),
# measured in the same run.  Columns: seconds = wall time of the whole
# mpirun; sample-evals/s = points x steps / seconds; GFLOP/s = the full
# forward pass's FLOPs (2 x sum of in x out = 9984 per sample for
# 12,64,64,2) per second -- "effective": the weights plane skips most of
# them, so it can exceed the peak; %peak = GFLOP/s over ranks x the
# single-thread dgemm rate measured now (tests/bench_dgemm); peak RSS =
# the largest process (GNU time's %M over mpirun and its ranks).
#
# The "random +td,cql" row is the 1-rank random plane with --objectives
# td,cql (docs/value-objectives.md): its ratio to the plain 1-rank row is
# the value objectives' cost (target <= 1.15).
#
# Environment: ILRL_LANDSCAPE (the engine binary, default
# src/ilrl-landscape), BENCH_RANDOM_SIDE (the random plane's grid for the
# ratios, default 201), BENCH_WEIGHTS_SIDE (the weights plane's, default
# 2001), BENCH_QUICK=1 (skip the 4001 x 4001 row),
# BENCH_TILES=1 (add the tile-size sweep).
set -e
top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
LANDSCAPE=${ILRL_LANDSCAPE:-$top_builddir/src/ilrl-landscape}
DEMO_PROGRAM=$top_builddir/src/ilrl-demo
PYTHON=${PYTHON:-/usr/bin/python3}
MPIRUN=${MPIRUN:-mpirun}
TIME=/usr/bin/time
OMPI_ALLOW_RUN_AS_ROOT=1
OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_rmaps_base_oversubscribe
FLOP_PER_SAMPLE=9984
TILE=${BENCH_TILE:-}

[ -x "$TIME" ] || { echo "bench: $TIME missing (Debian package 'time', see tests/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ilrl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

"$DEMO_PROGRAM" --pilot strong --episodes 1 --max-steps 2000 --seed 1 --quiet --force --out "$work/demo.nc"
steps=$(ncdump -h "$work/demo.nc" | sed -n 's/^[[:space:]]*step = \([0-9]*\) ;.*/\1/p')
peak=$("$top_builddir/tests/bench_dgemm")

echo "machine: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores; single-thread dgemm (OpenBLAS, 512^3, best of 10): $peak GFLOP/s"
echo "engine: $LANDSCAPE; demo: strong pilot, $steps steps; network 12,64,64,2 tanh"
printf '%-17s %-11s %6s %5s %8s %14s %8s %7s %9s\n' plane grid steps ranks seconds sample-evals/s GFLOP/s %peak peak-RSS

# row LABEL SIDE RANKS SECONDS RSS_KB [TILE]
row() {
    awk -v label="$1" -v side="$2" -v steps="$steps" -v ranks="$3" -v s="$4" \
        -v rss="$5" -v flop="$FLOP_PER_SAMPLE" -v peak="$peak" 'BEGIN {
        rate = side * side * steps / s; gflops = rate * flop / 1e9
        printf "%-17s %-11s %6d %5s %8.2f %14.4g %8.1f %6.0f%% %7.0fMB\n",
               label, side "x" side, steps, ranks, s, rate, gflops,
               100 * gflops / (ranks * peak), rss / 1024 }'
}

# engine PLANE SIDE RANKS OUT [TILE] -> sets seconds, rss
engine() {
    tile_option=
    [ -n "$5" ] && tile_option="--tile $5"
    [ -z "$5" ] && [ -n "$TILE" ] && tile_option="--tile $TILE"
    $TIME -f '%e %M' -o "$work/time" $MPIRUN -n "$3" "$LANDSCAPE" --demo "$work/demo.nc" \
        --plane "$1" --nx "$2" --ny "$2" --force --quiet --checkpoint 3600 $tile_option $ENGINE_EXTRA \
        --out "$4"
    seconds=$(cut -d' ' -f1 "$work/time")
    rss=$(cut -d' ' -f2 "$work/time")
}

# The random plane at 201 x 201 (~10 s on 2 ranks) for the ratios, and at
# the default 101 x 101, where the fixed cost (below) is a tenth of the run.
RANDOM_SIDE=${BENCH_RANDOM_SIDE:-201}
engine random "$RANDOM_SIDE" 2 "$work/random.nc"; row random "$RANDOM_SIDE" 2 "$seconds" "$rss"; random2=$seconds
engine random "$RANDOM_SIDE" 1 "$work/random1.nc"; row random "$RANDOM_SIDE" 1 "$seconds" "$rss"; random1=$seconds
ENGINE_EXTRA="--objectives td,cql"
engine random "$RANDOM_SIDE" 1 "$work/random_td.nc"; row "random +td,cql" "$RANDOM_SIDE" 1 "$seconds" "$rss"; random_td=$seconds
ENGINE_EXTRA=; rm -f "$work/random_td.nc"
engine random 101 2 "$work/random101.nc"; row random 101 2 "$seconds" "$rss"
engine random 2 2 "$work/fixed.nc"; fixed=$seconds
# The dense planes' older path (one dgemm per layer, tanh in a second pass),
# for the fused kernel's share (include/ilrl/dense_kernel.h).
ILRL_DENSE_KERNEL=dgemm; export ILRL_DENSE_KERNEL
engine random "$RANDOM_SIDE" 2 "$work/dgemm.nc"; unset ILRL_DENSE_KERNEL
row "random (dgemm)" "$RANDOM_SIDE" 2 "$seconds" "$rss"; rm -f "$work/dgemm.nc"
# The weights plane at 2001 x 2001 (~14 s on 2 ranks; at 1001 x 1001 the
# fixed cost was a tenth of the run and blurred the scaling).
WEIGHTS_SIDE=${BENCH_WEIGHTS_SIDE:-2001}
engine weights "$WEIGHTS_SIDE" 2 "$work/weights.nc"; row weights "$WEIGHTS_SIDE" 2 "$seconds" "$rss"; weights2=$seconds
engine weights "$WEIGHTS_SIDE" 1 "$work/weights1.nc"; row weights "$WEIGHTS_SIDE" 1 "$seconds" "$rss"; weights1=$seconds
if [ "${BENCH_QUICK:-0}" != 1 ]; then
    engine weights 4001 2 "$work/big.nc"; row weights 4001 2 "$seconds" "$rss"
    rm -f "$work/big.nc"
fi

# numpy: the same points (first NP points of each file's grid), 2 threads.
NP=${BENCH_NUMPY_POINTS:-200}
numpy_row() {
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 \
        "$PYTHON" "$top_srcdir/tests/bench_numpy.py" "$1" "$work/demo.nc" "$NP" 16 3 >"$work/numpy"
    read -r points np_seconds np_rate np_diff <"$work/numpy"
    awk -v label="$2" -v points="$points" -v steps="$steps" -v s="$np_seconds" \
        -v flop="$FLOP_PER_SAMPLE" -v peak="$peak" 'BEGIN {
        rate = points * steps / s; gflops = rate * flop / 1e9
        printf "%-17s %-11s %6d %5s %8.2f %14.4g %8.1f %6.0f%% %9s\n",
               label, points "pts", steps, "2thr", s, rate, gflops, 100 * gflops / (2 * peak), "-" }'
    echo "$np_rate" >"$work/numpy.$3"
    echo "$np_diff" >"$work/numpy.diff"
}
numpy_row "$work/random.nc" "numpy random" random
numpy_row "$work/weights.nc" "numpy weights" weights
numpy_random=$(cat "$work/numpy.random")
numpy_weights=$(cat "$work/numpy.weights")
np_diff=$(cat "$work/numpy.diff")
echo "numpy rows: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this measurement only, OPENBLAS_NUM_THREADS=2, batches of 16 points, fastest of 3 passes; values checked against the engine's file ($np_diff max relative difference)"

awk -v s1="$random1" -v s2="$random2" -v std="$random_td" -v w1="$weights1" -v w2="$weights2" -v steps="$steps" \
    -v nr="$numpy_random" -v nw="$numpy_weights" -v side="$RANDOM_SIDE" -v wside="$WEIGHTS_SIDE" -v fixed="$fixed" 'BEGIN {
    r2 = side * side * steps / s2; w = wside * wside * steps / w2
    # Both numpy rows do the same work per sample (numpy has no use for the
    # structure of the plane); their rates differ by up to 30% from one process
    # to the next, so the faster is the baseline of both ratios.
    nb = nr > nw ? nr : nw
    printf "ratios (numpy baseline: the faster numpy row, %.4g sample-evals/s):\n", nb
    printf "        random %dx%d 2 ranks / numpy = %.1fx (target >= 10); weights 2 ranks / numpy = %.0fx (target >= 100)\n", side, side, r2 / nb, w / nb
    printf "        scaling 2 ranks / 1 rank: random %.2fx, weights %.2fx (target >= 1.8)\n", s1 / s2, w1 / w2
    printf "        random 1 rank with td,cql / without = %.3fx (target <= 1.15)\n", std / s1
    printf "fixed cost of a run (2 ranks, 2x2 random grid: Open MPI start-up, demo, set-up, write): %.2f s\n", fixed }'

# The return objective's inner loop (docs/return-surface.md): simulator frames per second
# with the default network choosing every action, one rank.
echo "rollouts: $("$top_builddir/tests/bench_rollout" 12,64,64,2 3)"
# The same episodes one at a time, one single-row forward per frame (the
# path before the lockstep engine): the lockstep's speed-up in this run.
echo "rollouts: $("$top_builddir/tests/bench_rollout" 12,64,64,2 3 alone)"

if [ "${BENCH_TILES:-0}" = 1 ]; then
    echo "tile sweep (2 ranks; seconds of the whole mpirun):"
    for tile in 4 8 16 32 64 101x8 128; do
        engine random 101 2 "$work/t.nc" "$tile"; r=$seconds
        engine weights 1001 2 "$work/t.nc" "$tile"; w=$seconds
        printf '  tile %-6s random 101x101 %6.2f s   weights 1001x1001 %6.2f s\n' "$tile" "$r" "$w"
    done
fi

# The PyTorch peer of ilrl-train (tests/peer/torch_peer.py; what it
# measures is written there): Debian's python3-torch, float64, the default
# network, on the demo above (BC) and on tests/peer/flappy_np.py, our Flappy
# Bird vectorised and checked bit for bit by `make check` (RL: 32 episodes
# of at most 1000 frames per update, shaped rewards), 1 and 2 threads.
# torch is a benchmark-only dependency: missing, it is installed
# (tests/peer/install-deps.sh) only when ILRL_BENCH_PEER=1 asks for it;
# ILRL_BENCH_PEER=0 skips the rows.  BENCH_PEER_SECONDS: each RL row's
# timed seconds (default 8).  torch's 2 threads are slower than 1 on
# these small batches (its OpenMP workers wait on each other, worse on a
# loaded machine), so the rows also run two single-thread peers at once (2
# processes: what a user does with two cores and many seeds) and sum their
# rates; compare with the best of the three.  The rates are left in
# $peer_bc1, $peer_bc2, $peer_bc_pair (samples/s), $peer_ppo1, $peer_ppo2,
# $peer_ppo_pair, $peer_reinforce1, $peer_reinforce2 (steps/s overall) for
# the rows that compare with them.
PEER=${ILRL_BENCH_PEER:-auto}
peer_ready=0
if [ "$PEER" != 0 ]; then
    if "$PYTHON" -c 'import torch' 2>/dev/null; then
        peer_ready=1
    elif [ "$PEER" = 1 ]; then
        sh "$top_srcdir/tests/peer/install-deps.sh" && "$PYTHON" -c 'import torch' && peer_ready=1
    fi
fi
if [ "$peer_ready" = 1 ]; then
    # peer THREADS ARGS... -> prints the peer's line, sets $rate
    peer() {
        threads=$1; shift
        OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads \
            "$PYTHON" "$top_srcdir/tests/peer/torch_peer.py" "$@" --threads "$threads" >"$work/peer"
        cat "$work/peer"
        rate=$(sed -n 's/.* samples_per_s=\([^ ]*\).*/\1/p; s/.* steps_per_s=\([^ ]*\) .*/\1/p' "$work/peer")
    }
    # pair ARGS... -> two single-thread peers at once (seeds 1 and 2, as a
    # user runs two seeds on two cores); prints both lines, sets $rate to
    # the sum of their rates
    pair() {
        OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
            "$PYTHON" "$top_srcdir/tests/peer/torch_peer.py" "$@" --threads 1 --seed 1 >"$work/peer.a" &
        pid=$!
        OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
            "$PYTHON" "$top_srcdir/tests/peer/torch_peer.py" "$@" --threads 1 --seed 2 >"$work/peer.b"
        wait "$pid"
        sed 's/ threads=1 / threads=1 processes=2 /' "$work/peer.a" "$work/peer.b"
        rate=$(cat "$work/peer.a" "$work/peer.b" | sed -n 's/.* samples_per_s=\([^ ]*\).*/\1/p; s/.* steps_per_s=\([^ ]*\) .*/\1/p' \
            | awk '{ s += $1 } END { printf "%.4g", s }')
    }
    PEER_SECONDS=${BENCH_PEER_SECONDS:-8}
    echo "peer: PyTorch $("$PYTHON" -c 'import torch; print(torch.__version__)'), float64; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
    peer 1 bc "$work/demo.nc"; peer_bc1=$rate
    peer 2 bc "$work/demo.nc"; peer_bc2=$rate
    peer 1 rl --algo ppo --seconds "$PEER_SECONDS"; peer_ppo1=$rate
    peer 2 rl --algo ppo --seconds "$PEER_SECONDS"; peer_ppo2=$rate
    peer 1 rl --algo reinforce --seconds "$PEER_SECONDS"; peer_reinforce1=$rate
    peer 2 rl --algo reinforce --seconds "$PEER_SECONDS"; peer_reinforce2=$rate
    pair bc "$work/demo.nc"; peer_bc_pair=$rate
    pair rl --algo ppo --seconds "$PEER_SECONDS"; peer_ppo_pair=$rate
    awk -v b1="$peer_bc1" -v b2="$peer_bc2" -v bp="$peer_bc_pair" -v p1="$peer_ppo1" -v p2="$peer_ppo2" \
        -v pp="$peer_ppo_pair" -v r1="$peer_reinforce1" -v r2="$peer_reinforce2" 'BEGIN {
        printf "peer summary: bc samples/s 1 thread %.4g, 2 threads %.4g, 2 processes x 1 thread %.4g (sum)\n", b1, b2, bp
        printf "              rl steps/s ppo 1 thread %.4g, 2 threads %.4g, 2 processes %.4g (sum); reinforce 1 thread %.4g, 2 threads %.4g\n", p1, p2, pp, r1, r2 }'
    echo "peer: load average after $(cut -d' ' -f1-3 /proc/loadavg)"
elif [ "$PEER" = 1 ]; then
    echo "peer: skipped ($PYTHON cannot import torch after tests/peer/install-deps.sh)"
else
    echo "peer: skipped (set ILRL_BENCH_PEER=1)"
fi

# ilrl-train's own rows (issue 16's speed targets), after the peer so that
# the ratios are taken within this run.  RL: Flappy Bird from scratch with
# shaped rewards, 32 episodes of at most 1000 frames per update (the
# peer's setting), --rl-steps BENCH_TRAIN_STEPS (default 300000), no
# evaluation; steps/s = environment steps over the wall seconds between
# the trajectory's first and last rows (forward, sampling, backward, Adam,
# MPI; not Open MPI's start-up).  IL: the BC step (forward + backward +
# Adam, minibatches of 256 of the demo's size, tests/bench_train_core),
# and the whole IL phase of ilrl-train on the demo (which also evaluates
# L_IL and L_RL on the demo after every epoch).  Every row runs twice (the
# machine may be shared); cpu_per_wall = the processes' CPU seconds over
# wall seconds and ranks (MPI's busy waiting counts as CPU).
TRAIN=$top_builddir/src/ilrl-train
TRAIN_STEPS=${BENCH_TRAIN_STEPS:-300000}
echo "training: $TRAIN; Flappy Bird shaped, 32 episodes x <= 1000 frames per update, $TRAIN_STEPS steps per RL row"
# train_rl RANKS ALGO -> prints a row, sets $rate (the faster of two runs)
train_rl() {
    best=0
    for run in 1 2; do
        $TIME -f '%e %U %S' -o "$work/time" $MPIRUN -n "$1" "$TRAIN" --env flappy-bird --rewards shaped \
            --rl-steps "$TRAIN_STEPS" --batch-episodes 32 --rollout-steps 1000 --algo "$2" \
            --eval-episodes 0 --checkpoint 3600 --quiet --force --out "$work/train.nc"
        r=$(ncdump -v env_steps,wall_seconds,length_mean "$work/train.nc" | tr -d ',;' | awk -v ranks="$1" \
            -v time="$(cat "$work/time")" -v label="rl $2" -v run="$run" '
            /^ env_steps =/ { mode = 1; sub(/^[^=]*=/, "") } /^ wall_seconds =/ { mode = 2; sub(/^[^=]*=/, "") }
            /^ length_mean =/ { mode = 3; sub(/^[^=]*=/, "") } /^}/ || /^ [a-z_]+ =/ && !/^ (env_steps|wall_seconds|length_mean) =/ { mode = 0 }
            mode == 1 { for (i = 1; i <= NF; i++) { n1++; if (n1 == 1) s0 = $i; s1 = $i } }
            mode == 2 { for (i = 1; i <= NF; i++) { n2++; if (n2 == 1) w0 = $i; w1 = $i } }
            mode == 3 { for (i = 1; i <= NF; i++) { n3++; if (n3 > 1) { l += $i; nl++ } } }
            END { split(time, t, " "); rate = (s1 - s0) / (w1 - w0)
                  printf "train %-13s ranks %d run %d: %10.4g env steps/s (%d steps, %.2f s; mean episode %.0f frames) cpu_per_wall %.2f\n",
                         label, ranks, run, rate, s1 - s0, w1 - w0, l / nl, (t[2] + t[3]) / (t[1] * ranks) > "/dev/stderr"
                  printf "%.6g\n", rate }' 2>&1 >"$work/rate")
        echo "$r"
        r=$(cat "$work/rate")
        best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
    done
    rate=$best
}
train_rl 1 ppo; train_ppo1=$rate
train_rl 2 ppo; train_ppo2=$rate
train_rl 2 reinforce; train_reinforce2=$rate
for run in 1 2; do
    "$top_builddir/tests/bench_train_core" 256 20 "$steps" >"$work/core"
    sed -n 's/^samples\/s/train bc step (1 rank, run '"$run"'): samples\/s/p' "$work/core"
done
train_bc=$(sed -n 's/^samples\/s[^:]*: \([^ ]*\) by the wall clock.*/\1/p' "$work/core")
$TIME -f '%e %U %S' -o "$work/time" "$TRAIN" --demo "$work/demo.nc" --il-epochs 40 --batch 256 \
    --eval-episodes 0 --checkpoint 3600 --quiet --force --out "$work/train.nc"
ncdump -v samples,wall_seconds "$work/train.nc" | tr -d ',;' | awk -v time="$(cat "$work/time")" '
    /^ samples =/ { mode = 1; sub(/^[^=]*=/, "") } /^ wall_seconds =/ { mode = 2; sub(/^[^=]*=/, "") }
    /^}/ || /^ [a-z_]+ =/ && !/^ (samples|wall_seconds) =/ { mode = 0 }
    mode == 1 { for (i = 1; i <= NF; i++) { n1++; if (n1 == 1) s0 = $i; s1 = $i } }
    mode == 2 { for (i = 1; i <= NF; i++) { n2++; if (n2 == 1) w0 = $i; w1 = $i } }
    END { split(time, t, " ")
          printf "train il phase (ilrl-train, 1 rank, 40 epochs): %.4g samples/s incl. the per-epoch L_IL/L_RL rows, cpu_per_wall %.2f\n",
                 (s1 - s0) / (w1 - w0), (t[2] + t[3]) / t[1] }'
echo "rollouts again (after the training rows): $("$top_builddir/tests/bench_rollout" 12,64,64,2 3)"
if [ "$peer_ready" = 1 ]; then
    awk -v p1="$peer_ppo1" -v p2="$peer_ppo2" -v pp="$peer_ppo_pair" -v r2="$peer_reinforce2" \
        -v r1="$peer_reinforce1" -v b1="$peer_bc1" -v b2="$peer_bc2" -v bp="$peer_bc_pair" \
        -v t1="$train_ppo1" -v t2="$train_ppo2" -v tr="$train_reinforce2" -v tb="$train_bc" 'BEGIN {
        best = p1; if (p2 > best) best = p2; if (pp > best) best = pp
        bbest = b1; if (b2 > bbest) bbest = b2; if (bp > bbest) bbest = bp
        rbest = (r1 > r2 ? r1 : r2)
        printf "training ratios (this run):\n"
        printf "        rl ppo 2 ranks %.4g steps/s: / peer 2 threads = %.1fx, / best peer row = %.1fx (target >= 20); >= 1e6 steps/s: %s\n",
               t2, t2 / p2, t2 / best, (t2 >= 1e6 ? "met" : "missed")
        printf "        rl reinforce 2 ranks %.4g steps/s: / peer 2 threads = %.1fx, / best peer row = %.1fx\n", tr, tr / r2, tr / rbest
        printf "        rl ppo 1 rank / peer 1 thread = %.1fx\n", t1 / p1
        printf "        bc step %.4g samples/s / peer 1 thread = %.1fx, / best peer row = %.1fx (target >= 3)\n", tb, tb / b1, tb / bbest }'
fi
