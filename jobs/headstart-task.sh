#!/bin/bash
# headstart-task.sh -- ONE task of the head-start experiment (does IL give
# RL a head start?): one environment x one condition x one training seed.
# The same script runs every task of `make headstart` (two at a time on a
# workstation) and every array task of jobs/headstart.sbatch on a cluster.
#
#   bash jobs/headstart-task.sh INDEX     run task INDEX (0-based)
#   bash jobs/headstart-task.sh --list    print "INDEX ENV CONDITION SEED", one a line
#   bash jobs/headstart-task.sh --count   print the number of tasks
#
# Conditions (each ilrl-train run starts from theta0 of --seed SEED):
#   scratch      RL only (PPO) from theta0
#   il-strong    IL on the strong demo, then RL
#   il-poor      IL on the poor demo, then RL
#   il-noisy     IL on the noisy:EPS demo, then RL; EPS is the demonstration-
#                quality sweep's sign-flip point: Flappy Bird 0.05 (the first
#                EPS whose mean return-to-go, hence r(IL, RL), is negative:
#                results/README.md); CartPole 0.3 (the first demo with a fall,
#                where r flips under the shaped rewards and under advantage
#                weights: results/cartpole/README.md).  CartPole trains with
#                its default rewards (+1 per step), so eval_return is the
#                episode length, as Gymnasium reports it.
#   il-strong-bc il-strong with the retention term --bc-weight 1:0.99
#                (L_IL on the strong demo, weight 1, x0.99 per update)
# Demonstrations: ilrl-demo --episodes 5 --max-steps 3000 --seed 1, the
# sweep's recordings, made once per environment into DIR/ENV/demo-LABEL.nc
# (concurrent tasks race harmlessly: each writes its own temporary file and
# renames it).  Only the training seed varies between the seeds of a
# condition.
#
# Training options, both environments: PPO with ilrl-train's defaults
# (16 episodes per update, lr 0.001, gamma 0.99), greedy evaluation on 10
# fixed episodes; IL is behaviour cloning for at most IL_EPOCHS epochs with
# the demo's last episode held out and early stopping after 10 epochs
# without a better held-out loss (--val-episodes 1 --patience 10).
#   Flappy Bird: --rl-steps 300000 --eval-every 5, at most 100 IL epochs
#   CartPole:    --rl-steps 100000 --eval-every 1, at most 100 IL epochs
# Sized so that all 100 tasks take about 15 CPU-minutes (make headstart,
# results/headstart/README.md).  Seed 1 of every condition also keeps theta
# every 5 rows (--save-every 5) for the landscapes at the trained points
# (jobs/headstart-landscapes.sh) and writes its final network.
#
# Output: DIR/ENV/CONDITION/seed-SEED.nc (trajectory; docs/formats.md),
# DIR/ENV/CONDITION/seed-1.net.nc.  A finished trajectory is kept (a rerun or
# a requeued array task skips it); an interrupted one resumes from its
# .partial checkpoint (ilrl-train --resume), so a requeued cluster task
# continues where it stopped and ends with the same bits.
#
# Environment (every variable optional):
#   ILRL_OUTDIR                 DIR (default ilrl-headstart)
#   ILRL_HEADSTART_ENVS         default "flappy-bird cartpole"
#   ILRL_HEADSTART_CONDITIONS   default "scratch il-strong il-poor il-noisy il-strong-bc"
#   ILRL_HEADSTART_SEEDS        seeds 1..N per condition (default 10)
#   ILRL_HEADSTART_FLAPPY_RL_STEPS, ILRL_HEADSTART_CARTPOLE_RL_STEPS
#                               RL budgets (defaults above); a cluster run
#                               raises them, and ILRL_HEADSTART_SEEDS
#   ILRL_HEADSTART_IL_EPOCHS    at most this many IL epochs (default 100)
#   ILRL_HEADSTART_EVAL_EPISODES  greedy evaluation episodes (default 10)
#   ILRL_HEADSTART_DEMO_OPTIONS   replace "--episodes 5 --max-steps 3000"
#   ILRL_HEADSTART_TRAIN_OPTIONS  more ilrl-train options, appended (a later
#                               option wins, e.g. --save-every 2 for tiny runs)
#   ILRL_BIN, ILRL_JOBS, ILRL_LAUNCHER as for the other job scripts
#                               (jobs/ilrl-job.sh).  Outside Slurm with
#                               ILRL_LAUNCHER unset, ilrl-train runs as one
#                               process without a launcher.
# Exit status: 0 done, 2 bad index or condition, otherwise ilrl-demo's or
# ilrl-train's.

jobs_dir=${ILRL_JOBS:-$(dirname "$0")}
. "$jobs_dir/ilrl-job.sh" || { echo "headstart-task.sh: jobs/ilrl-job.sh not found; set ILRL_JOBS" >&2; exit 1; }

envs=${ILRL_HEADSTART_ENVS:-flappy-bird cartpole}
conditions=${ILRL_HEADSTART_CONDITIONS:-scratch il-strong il-poor il-noisy il-strong-bc}
seeds=${ILRL_HEADSTART_SEEDS:-10}

# headstart_tasks -- "INDEX ENV CONDITION SEED" for every task, in index order.
headstart_tasks() {
    local i=0 env cond seed
    for env in $envs; do
        for cond in $conditions; do
            seed=1
            while [ "$seed" -le "$seeds" ]; do
                echo "$i $env $cond $seed"
                i=$((i + 1)) seed=$((seed + 1))
            done
        done
    done
}

case ${1:-} in
    --list) headstart_tasks; exit 0 ;;
    --count) headstart_tasks | wc -l; exit 0 ;;
    ''|*[!0-9]*) ilrl_log "usage: headstart-task.sh INDEX | --list | --count (got '${1:-}')"; exit 2 ;;
esac
index=$1
line=$(headstart_tasks | awk -v i="$index" '$1 == i')
[ -n "$line" ] || { ilrl_log "task index $index is beyond the $(headstart_tasks | wc -l) tasks"; exit 2; }
# shellcheck disable=SC2086 # four words
set -- $line
env=$2 cond=$3 seed=$4

case $env in
    flappy-bird) rl_steps=${ILRL_HEADSTART_FLAPPY_RL_STEPS:-300000} eval_every=5 noisy=noisy:0.05 ;;
    cartpole)    rl_steps=${ILRL_HEADSTART_CARTPOLE_RL_STEPS:-100000} eval_every=1 noisy=noisy:0.3 ;;
    *) ilrl_log "unknown environment '$env' in ILRL_HEADSTART_ENVS"; exit 2 ;;
esac
il="--il-epochs ${ILRL_HEADSTART_IL_EPOCHS:-100} --val-episodes 1 --patience 10"
case $cond in
    scratch)      demo= train="--env $env" ;;
    il-strong)    demo=strong train=$il ;;
    il-poor)      demo=poor train=$il ;;
    il-noisy)     demo=$noisy train=$il ;;
    il-strong-bc) demo=strong train="$il --bc-weight 1:0.99" ;;
    *) ilrl_log "unknown condition '$cond' in ILRL_HEADSTART_CONDITIONS"; exit 2 ;;
esac

dir=${ILRL_OUTDIR:-ilrl-headstart}
mkdir -p "$dir/$env/$cond" || exit 4
out=$dir/$env/$cond/seed-$seed.nc
ilrl_log "headstart task $index: $env $cond seed $seed, restart ${SLURM_RESTART_COUNT:-0}"
if [ -e "$out" ] && [ ! -e "$out.partial" ]; then
    ilrl_log "$out exists; keeping it"
    exit 0
fi

if [ -n "$demo" ]; then
    demo_file=$dir/$env/demo-${demo%%:*}.nc
    if [ ! -e "$demo_file" ]; then
        program=$(ilrl_program ilrl-demo) || exit 127
        # shellcheck disable=SC2086 # lists of options
        "$program" --env "$env" --pilot "$demo" --seed 1 ${ILRL_HEADSTART_DEMO_OPTIONS:---episodes 5 --max-steps 3000} \
            --quiet --force --out "$demo_file.$$.tmp" || { s=$?; rm -f "$demo_file.$$.tmp"; exit $s; }
        mv -f "$demo_file.$$.tmp" "$demo_file" || exit 4
    fi
    train="--demo $demo_file $train"
fi
extra=
[ "$seed" -eq 1 ] && extra="--save-every 5 --save-network $dir/$env/$cond/seed-1.net.nc"
ilrl_requeue_if_signalled

program=$(ilrl_program ilrl-train) || exit 127
if [ -n "${ILRL_LAUNCHER+set}" ] || [ -n "${SLURM_JOB_ID:-}" ]; then
    launcher=$(ilrl_launcher)
else
    launcher=
fi
# --resume continues OUT.partial when there is one and starts afresh
# otherwise; --force replaces a stale network file of an unfinished run.
# shellcheck disable=SC2086 # lists of options
set -- $train --seed "$seed" --rl-steps "$rl_steps" --eval-every "$eval_every" \
    --eval-episodes "${ILRL_HEADSTART_EVAL_EPISODES:-10}" $extra ${ILRL_HEADSTART_TRAIN_OPTIONS:-} \
    --quiet --resume --force --out "$out"
ilrl_log "${launcher:+$launcher }$program $*"
# Background + wait, so that a USR1 (pre-timeout) reaches the trainer at once.
$launcher "$program" "$@" &
_ilrl_child=$!
while :; do
    wait "$_ilrl_child"
    status=$?
    kill -0 "$_ilrl_child" 2>/dev/null || break
done
_ilrl_child=
if [ "$status" -eq 0 ] && [ -e "$out" ] && [ ! -e "$out.partial" ]; then
    exit 0
fi
ilrl_log "ilrl-train exited with status $status"
if [ "$_ilrl_signal" = USR1 ] || { [ "$status" -eq 138 ] && [ -e "$out.partial" ]; }; then
    ilrl_requeue && exit 0
fi
[ "$status" -ne 0 ] || status=1
exit "$status"
