# ilrl-job.sh -- shell functions shared by the Slurm job scripts in jobs/
# (landscape.sbatch, experiment.sbatch, sweep.sbatch, sweep-gather.sh).
# Sourced, never run; bash or POSIX sh.
#
# What it owns: finding the ilrl-* programs, choosing the MPI launcher, and
# running ilrl-landscape so that a job survives its time limit or
# pre-emption:
#
#   the scripts ask for `#SBATCH --signal=B:USR1@120`, so 120 s before the
#   limit Slurm signals the *batch shell* only.  The shell forwards USR1 to
#   the launcher (srun and mpirun both pass USR1 on to every MPI rank), the
#   program writes OUT.partial and exits 138 (128 + SIGUSR1), and the shell
#   requeues the job (`scontrol requeue`, needs `#SBATCH --requeue`).  When
#   the job starts again the same command runs with --resume added, tiles
#   already in OUT.partial are skipped, and the final OUT equals an
#   uninterrupted run byte for byte (docs/formats.md).  A job signalled with plain
#   `--signal=USR1@120` (the ranks directly, not the shell) is handled too:
#   exit status 138 with a checkpoint on disk means "interrupted".
#
# Environment read:
#   ILRL_BIN         directory holding ilrl-landscape, ilrl-demo, ... (a build
#                    tree's src/ or an install's bin/); default: $PATH
#   ILRL_LAUNCHER    full launcher command, e.g. "srun --mpi=pmi2" or
#                    "mpirun --oversubscribe"; default: see ilrl_launcher
#   ILRL_MAX_REQUEUES  stop requeueing after this many restarts (default 20)
#
# Every function returns non-zero (and prints "ilrl-job: ..." on stderr) on
# error; the job scripts run with `set -e` off and check statuses themselves.

ilrl_log() { echo "ilrl-job[${SLURM_JOB_ID:-local}]: $*" >&2; }

# ilrl_program NAME -- print the path of program NAME (from ILRL_BIN or PATH).
ilrl_program() {
    if [ -n "${ILRL_BIN:-}" ]; then
        if [ -x "$ILRL_BIN/$1" ]; then echo "$ILRL_BIN/$1"; return 0; fi
        ilrl_log "$1 not found in ILRL_BIN=$ILRL_BIN"; return 1
    fi
    command -v "$1" 2>/dev/null && return 0
    ilrl_log "$1 not found on PATH (set ILRL_BIN to the directory holding it)"
    return 1
}

# ilrl_launcher -- print the MPI launcher command: $ILRL_LAUNCHER if set;
# inside a Slurm job `srun --mpi=pmix` when this Slurm has the PMIx plugin
# (what Open MPI >= 4 is built against), else `mpirun`, which reads the
# allocation from Slurm's environment itself; outside Slurm plain `mpirun`.
ilrl_launcher() {
    if [ -n "${ILRL_LAUNCHER:-}" ]; then echo "$ILRL_LAUNCHER"; return 0; fi
    if [ -n "${SLURM_JOB_ID:-}" ] && command -v srun >/dev/null 2>&1 &&
       srun --mpi=list 2>&1 | grep -qw pmix; then
        echo "srun --mpi=pmix"
    else
        echo "mpirun"
    fi
}

# srun --mpi=pmix: every PMIx fence a ring across the nodes, unless the user
# chose (SLURM_PMIX_FENCE).  Measured on Debian bookworm's Slurm 22.05 +
# PMIx 4.2 + Open MPI 4.1 (docs/cluster.md, "The rank that crashed in
# MPI_Init"): with Slurm's default ("mixed": a ring for fences that collect
# data, a tree for the others) the tree fence that ends MPI_Init completed
# on each node without waiting for the other, so the ranks of one node
# could leave MPI_Init and send before a rank of the other node had
# registered its message handlers, which then jumped to address 0.  A
# ring fence is a true barrier; it costs one message per node per fence,
# twice per run.
: "${SLURM_PMIX_FENCE:=ring}"
export SLURM_PMIX_FENCE

# Signal bookkeeping.  USR1 (pre-timeout, pre-emption notice) and TERM are
# remembered and passed on to the running launcher, if any; between steps
# they are only remembered, so the shell never dies of its own USR1.
_ilrl_signal=
_ilrl_child=
_ilrl_on_signal() {
    _ilrl_signal=$1
    ilrl_log "caught SIG$1${_ilrl_child:+, forwarding to launcher (pid $_ilrl_child)}"
    [ -n "$_ilrl_child" ] && kill -s "$1" "$_ilrl_child" 2>/dev/null
    return 0
}
trap '_ilrl_on_signal USR1' USR1
trap '_ilrl_on_signal TERM' TERM

# ilrl_requeue -- put this job back in the queue (it is killed by Slurm
# shortly after); returns non-zero when that is impossible.
ilrl_requeue() {
    if [ -z "${SLURM_JOB_ID:-}" ]; then
        ilrl_log "not a Slurm job: rerun the same command to resume"; return 1
    fi
    if [ "${SLURM_RESTART_COUNT:-0}" -ge "${ILRL_MAX_REQUEUES:-20}" ]; then
        ilrl_log "restarted ${SLURM_RESTART_COUNT} times already (ILRL_MAX_REQUEUES); not requeueing"
        return 1
    fi
    ilrl_log "requeueing job $SLURM_JOB_ID (restart $(( ${SLURM_RESTART_COUNT:-0} + 1 )))"
    scontrol requeue "$SLURM_JOB_ID" || {
        ilrl_log "scontrol requeue failed: resubmit the same command to resume"; return 1; }
    return 0
}

# ilrl_requeue_if_signalled -- between steps: if a USR1 arrived, requeue and
# exit the job script (the steps done so far are on disk and skipped later).
ilrl_requeue_if_signalled() {
    [ "$_ilrl_signal" = USR1 ] || return 0
    ilrl_requeue && exit 0
    exit 1
}

# ilrl_run_landscape ARGS... -- run ilrl-landscape ARGS under the launcher,
# resumably.  The output file is taken from --out (default landscape.nc).
# Returns 0 when OUT is complete; requeues and exits the script when the run
# was interrupted by the pre-timeout signal; otherwise returns the program's
# exit status.
ilrl_run_landscape() {
    _out=landscape.nc
    _resume=
    _force=
    _prev=
    for _a in "$@"; do
        case $_prev in --out) _out=$_a ;; esac
        case $_a in
            --out=*) _out=${_a#--out=} ;;
            --resume) _resume=yes ;;
            --force) _force=yes ;;
        esac
        _prev=$_a
    done
    _checkpoint=$_out.partial
    _restart=${SLURM_RESTART_COUNT:-0}
    # Without --force the first run refuses an existing OUT, so after a
    # restart an OUT without checkpoint is this job's own finished work.
    if [ -z "$_force" ] && [ "$_restart" -gt 0 ] && [ -e "$_out" ] && [ ! -e "$_checkpoint" ]; then
        ilrl_log "$_out is complete (finished before the requeue); nothing to do"
        return 0
    fi
    # Continue a checkpoint (OUT.partial, or its tile journal alone after a
    # signal on a big grid): always after a restart; on a first run only
    # when --force (start over) was not asked for.
    if [ -z "$_resume" ] && { [ "$_restart" -gt 0 ] || { { [ -e "$_checkpoint" ] || [ -e "$_checkpoint.journal" ]; } && [ -z "$_force" ]; }; }; then
        ilrl_log "checkpoint ${_checkpoint} $( [ -e "$_checkpoint" ] && echo found || echo absent), journal $( [ -e "$_checkpoint.journal" ] && echo found || echo absent), restart $_restart: adding --resume"
        set -- "$@" --resume
    fi
    ilrl_requeue_if_signalled
    _program=$(ilrl_program ilrl-landscape) || return 127
    _launcher=$(ilrl_launcher)
    ilrl_log "$_launcher $_program $*"
    # Background + wait: a trapped signal interrupts `wait` at once, whereas
    # a foreground child would delay the trap until it ends.
    $_launcher "$_program" "$@" &
    _ilrl_child=$!
    while :; do
        wait "$_ilrl_child"
        _status=$?
        kill -0 "$_ilrl_child" 2>/dev/null || break
    done
    _ilrl_child=
    ilrl_log "ilrl-landscape exited with status $_status"
    if [ "$_status" -eq 0 ] && [ -e "$_out" ] && [ ! -e "$_checkpoint" ]; then
        return 0
    fi
    # Interrupted: the shell got USR1 (a run killed by it before its first
    # checkpoint simply starts afresh after the requeue), or the ranks got
    # it directly and left a checkpoint.
    # (A big grid's signal saves into the tile journal OUT.partial.journal.)
    if [ "$_ilrl_signal" = USR1 ] || { [ "$_status" -eq 138 ] && { [ -e "$_checkpoint" ] || [ -e "$_checkpoint.journal" ]; }; }; then
        ilrl_requeue && exit 0
        return "$_status"
    fi
    [ "$_status" -ne 0 ] || _status=1
    return "$_status"
}

# ilrl_make_demo OUT ARGS... -- record a demonstration with ilrl-demo ARGS
# into OUT, unless OUT exists (a restarted job keeps what it has).  Written
# under a temporary name and renamed, so OUT is never half a file.
ilrl_make_demo() {
    _demo_out=$1; shift
    if [ -e "$_demo_out" ]; then ilrl_log "$_demo_out exists; keeping it"; return 0; fi
    _demo=$(ilrl_program ilrl-demo) || return 127
    ilrl_log "$_demo $* --out $_demo_out"
    "$_demo" "$@" --out "$_demo_out.tmp" --force || { _s=$?; rm -f "$_demo_out.tmp"; return $_s; }
    mv -f "$_demo_out.tmp" "$_demo_out"
}

# ilrl_landscape_done OUT -- true when OUT is a finished landscape (it
# exists and no checkpoint is pending beside it).
ilrl_landscape_done() { [ -e "$1" ] && [ ! -e "$1.partial" ]; }

# ilrl_python -- print a Python 3 that has numpy, netCDF4 and matplotlib:
# $PYTHON if set, else Debian's /usr/bin/python3 before whatever python3 is
# first on PATH (a pyenv or venv python often lacks them).
ilrl_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return 0; fi
    for _py in /usr/bin/python3 python3; do
        "$_py" -c 'import numpy, netCDF4, matplotlib' 2>/dev/null && { echo "$_py"; return 0; }
    done
    ilrl_log "no python3 with numpy, netCDF4 and matplotlib (Debian: python3-netcdf4 python3-matplotlib)"
    return 1
}

# ilrl_sweep_points -- the demonstration-quality sweep, one line per array
# task, "LABEL PILOT" (task index = line number - 1).  Scores fall steeply
# below EPS 0.05 (docs/flappy-bird.md), hence the dense points there.  Override with
# ILRL_SWEEP_EPS="0 0.01 ..." (the poor pilot always comes first).
ilrl_sweep_points() {
    echo "poor poor"
    for _eps in ${ILRL_SWEEP_EPS:-0 0.005 0.01 0.02 0.03 0.04 0.05 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0}; do
        echo "eps-$_eps noisy:$_eps"
    done
}
