# check-lib.sh -- what the Slurm tests share: check-slurm.sh (one node) and
# check-cluster.sh (two emulated nodes) source it after setting
#   TEST          their name, for messages
#   NODES         1 or 2 (cluster-start.sh's layout)
#   TEST_TIMEOUT  seconds before the watchdog ends the whole test
# Sourcing it checks the prerequisites (exit 77 = skip: not root, Slurm or
# the programs missing), makes the scratch directory WORK (the job
# directory) with the cluster's state in CLUSTER, arms the exit trap that
# stops the cluster by PID on every exit path, starts the watchdog, brings
# the cluster up, and cds into WORK with the job environment exported.
# Every wait has its own deadline, so CI cannot hang here.
#
# Environment: top_srcdir, top_builddir (set by make), PYTHON,
#   ILRL_SLURM_KEEP=1  keep the scratch directory even on success
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

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ilrl-$TEST.XXXXXX") || exit 1
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
    cd / || :
    sh "$SLURM_TESTS/cluster-stop.sh" "$CLUSTER"
    for f in "$CLUSTER"/run/*.daemon.pid "$CLUSTER"/run/munged.pid; do
        [ -r "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && {
            echo "FAIL: daemon $(cat "$f") ($f) still running after stop" >&2; status=1; }
    done
    if [ -r "$CLUSTER/run/netns" ]; then
        echo "FAIL: network namespaces left: $(cat "$CLUSTER/run/netns")" >&2; status=1
    fi
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
sh -c 'trap "exit 0" TERM   # stopped by finish(): end quietly
       sleep "$1" || exit 0
       echo "FAIL: $3 watchdog: over $1 s" >&2
       kill -TERM "$2"
       for s in /proc/[0-9]*/status; do
           [ "$(awk "/^PPid:/ {print \$2}" "$s" 2>/dev/null)" = "$2" ] || continue
           p=${s#/proc/}; p=${p%/status}
           [ "$p" = $$ ] || kill -TERM "$p" 2>/dev/null
       done' watchdog "$TEST_TIMEOUT" $$ "$TEST" &
watchdog=$!

fail() {
    echo "FAIL: $*" >&2
    for log in "$WORK"/ilrl-*.out; do
        [ -s "$log" ] || continue
        echo "--- $log" >&2; tail -n 40 "$log" >&2
    done
    for log in "$CLUSTER"/log/slurmctld.log "$CLUSTER"/log/slurmd*.log; do
        [ -s "$log" ] && { echo "--- $log (last 15 lines)" >&2; tail -n 15 "$log" >&2; }
    done
    show_cores >&2
    exit 1
}
# show_cores -- a backtrace of every core dump a crashed rank left in the job
# directory (the jobs run there; this test raises the core size limit, which
# Slurm passes on to the tasks).  Where the kernel pipes cores elsewhere
# (core_pattern "|..."), say so: a crash is then only its signal.
show_cores() {
    found=
    for core in "$WORK"/core "$WORK"/core.[0-9]*; do
        [ -f "$core" ] || continue
        found=yes
        program=$(file -b "$core" 2>/dev/null | sed -n "s/.*execfn: '\([^']*\)'.*/\1/p")
        [ -x "$program" ] || program=$BIN/ilrl-landscape
        echo "--- $core ($program)"
        if command -v gdb >/dev/null 2>&1; then
            timeout 60 gdb -batch -nx -ex 'info registers rip rsp' -ex 'x/8gx $sp' \
                -ex 'thread apply all bt 30' "$program" "$core" 2>&1 | tail -n 120
        else
            echo "(gdb not installed: no backtrace)"
        fi
    done
    [ -n "$found" ] || echo "--- no core dump in $WORK (core_pattern: $(cat /proc/sys/kernel/core_pattern 2>/dev/null))"
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

# client CMD... -- a Slurm client (sbatch, scontrol, ...) run where it
# reaches slurmctld: inside the head node's network namespace for NODES=2.
client() {
    if [ -n "${ILRL_SLURM_CLIENT_NETNS:-}" ]; then nsenter --net="$ILRL_SLURM_CLIENT_NETNS" "$@"; else "$@"; fi
}
# job_state ID -- every JobState of job ID (several lines for an array).
job_state() { client timeout 10 scontrol show job -o "$1" 2>/dev/null | sed -n 's/.* JobState=\([A-Z_]*\).*/\1/p'; }
job_field() { client timeout 10 scontrol show job -o "$1" 2>/dev/null | sed -n "s/.* $2=\\([^ ]*\\).*/\\1/p" | head -n 1; }
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

# preemption_test MIN_SECONDS REFERENCE SBATCH_OPTIONS... -- the pre-timeout
# signal: a landscape with --checkpoint 1 gets USR1 in its batch shell
# mid-run, requeues itself, resumes from OUT.partial and must end
# byte-identical to an uninterrupted run by the function REFERENCE (called
# with ilrl-landscape's options).  The run must outlast its first checkpoint
# by several seconds: the grid grows (from ILRL_SLURM_REQUEUE_NX, 451) until
# the reference takes >= MIN_SECONDS.  After the signal the job has
# PREEMPTION_WAIT seconds (600) to requeue, resume and finish.
preemption_test() {
    min=$1 reference=$2; shift 2
    n=${ILRL_SLURM_REQUEUE_NX:-451}
    while :; do
        big="--nx $n --ny $n --quiet"
        t0=$(date +%s)
        # shellcheck disable=SC2086
        $reference $big --out ref-big.nc --force >/dev/null 2>&1 || fail "reference run ($n x $n) outside Slurm failed"
        elapsed=$(( $(date +%s) - t0 ))
        echo "     uninterrupted $n x $n reference: $elapsed s"
        [ "$elapsed" -ge "$min" ] || [ "$n" -ge 4000 ] && break
        n=$(( n * 3 / 2 ))
    done
    # shellcheck disable=SC2086
    PREEMPTION_HINT="raise ILRL_SLURM_REQUEUE_NX" preemption_job landscape.sbatch big big.nc "$*" $big
    same_losses big.nc ref-big.nc
}

# same_trajectory A B -- every array of two ilrl-train trajectory files equal
# bit for bit (wall_seconds excepted): tests/train_probe same.
same_trajectory() {
    [ -e "$1" ] || fail "$1 missing"
    [ -e "$2" ] || fail "$2 missing"
    diff=$("$top_builddir/tests/train_probe" same "$1" "$2" 2>&1) || fail "trajectories differ: $1 vs $2: $diff"
}
# trained_on FILE N -- the trajectory FILE was written by a run of N ranks
# (its mpi_ranks attribute): equal arrays alone would not notice N separate
# one-rank runs started by a launcher that failed to wire them together.
trained_on() {
    ncdump -h "$1" | grep -q ":mpi_ranks = ${2}LL ;" \
        || fail "$1 not written by $2 ranks: $(ncdump -h "$1" | grep mpi_ranks)"
}

# preemption_job SCRIPT NAME OUT SBATCH_OPTIONS PROGRAM_OPTION... -- the
# pre-timeout signal for any resumable job script of jobs/: submit SCRIPT
# (job name NAME; SBATCH_OPTIONS one word-split string) with the program's
# options and `--checkpoint 1 --out OUT`, wait for its first OUT.partial,
# send USR1 to the batch shell (`scancel --batch`), and require that the
# job requeued itself, ran again with --resume, completed and left no
# OUT.partial.  The caller compares OUT with an uninterrupted run.  Sets
# job and restarts.  PREEMPTION_WAIT (600 s) bounds requeue + resume;
# PREEMPTION_HINT says how to make a run that ended too soon longer.
preemption_job() {
    pj_script=$1 pj_name=$2 pj_out=$3 pj_sbatch=$4; shift 4
    # shellcheck disable=SC2086
    job=$(client sbatch --parsable $pj_sbatch --job-name="$pj_name" "$JOBS/$pj_script" "$@" \
          --checkpoint 1 --out "$pj_out") || fail "sbatch of the pre-emption job $pj_name failed"
    job=${job%%;*}
    deadline=$(( $(date +%s) + 120 ))
    until [ -e "$pj_out.partial" ]; do
        [ -e "$pj_out" ] && fail "job $job finished before the signal: ${PREEMPTION_HINT:-make the $pj_name run longer}"
        [ "$(date +%s)" -lt "$deadline" ] || fail "no checkpoint $pj_out.partial after 120 s"
        sleep 0.5
    done
    client timeout 10 scancel --batch --signal=USR1 "$job" || fail "scancel --batch --signal=USR1 $job failed"
    states=$(wait_job "$job" "${PREEMPTION_WAIT:-600}")
    [ "$states" = "COMPLETED " ] || fail "pre-emption job $job ($pj_name) ended $states"
    restarts=$(job_field "$job" Restarts)
    [ "${restarts:-0}" -ge 1 ] || fail "job $job ($pj_name) was not requeued (Restarts=$restarts)"
    grep -q 'requeueing job' "ilrl-$pj_name-$job.out" || fail "no requeue in the log of $pj_name"
    grep -q -- '--resume' "ilrl-$pj_name-$job.out" || fail "restart of $pj_name did not pass --resume"
    [ ! -e "$pj_out.partial" ] || fail "$pj_out.partial left behind"
}

# preemption_train MIN_SECONDS RANKS REFERENCE SBATCH_OPTIONS... -- preemption_job
# for jobs/train.sbatch: CartPole RL (no demo needed), steps grown from
# ILRL_SLURM_TRAIN_STEPS (50000) until the uninterrupted run by the
# function REFERENCE (called with ilrl-train's options) takes >= MIN_SECONDS;
# the resumed trajectory must equal it array for array (same_trajectory)
# and come from RANKS ranks (trained_on).
preemption_train() {
    min=$1 ranks=$2 reference=$3; shift 3
    steps=${ILRL_SLURM_TRAIN_STEPS:-50000}
    while :; do
        train="--env cartpole --rl-steps $steps --batch-episodes 8 --eval-every 5 --eval-episodes 3 --save-every 10 --quiet"
        t0=$(date +%s)
        # shellcheck disable=SC2086
        $reference $train --out ref-train-big.nc --force >/dev/null 2>&1 \
            || fail "reference training run ($steps steps) outside Slurm failed"
        elapsed=$(( $(date +%s) - t0 ))
        echo "     uninterrupted training run of $steps steps: $elapsed s"
        [ "$elapsed" -ge "$min" ] || [ "$steps" -ge 20000000 ] && break
        steps=$(( steps * 2 ))
    done
    # shellcheck disable=SC2086
    preemption_job train.sbatch train-big train-big.nc "$*" $train
    same_trajectory train-big.nc ref-train-big.nc
    trained_on train-big.nc "$ranks"
}

# ---- the cluster -----------------------------------------------------------
# Cores of crashed ranks (show_cores): the daemons and, through Slurm's
# PropagateResourceLimits, the tasks inherit this shell's limit.
ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)" 2>/dev/null || :
timeout 120 sh "$SLURM_TESTS/cluster-start.sh" "$CLUSTER" "$NODES" || fail "cluster did not start"
. "$CLUSTER/env"

# What every job needs: the build tree's programs, MPI as root, 2 cores.
ILRL_BIN=$BIN
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_MCA_rmaps_base_oversubscribe=1
export ILRL_BIN OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_rmaps_base_oversubscribe
[ -n "${PYTHON:-}" ] && export PYTHON
unset ILRL_LAUNCHER ILRL_OUTDIR ILRL_SWEEP_EPS ILRL_JOBS 2>/dev/null
cd "$WORK" || exit 1
