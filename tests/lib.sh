# lib.sh -- shared helpers for the shell tests (source it; POSIX sh).
#
#   run_expect CODE CMD...   runs CMD with a timeout, stderr into $ERR_FILE,
#                            stdout into $OUT_FILE, fails unless exit == CODE
#                            (an mpirun in CMD kills the job's other ranks
#                            at once after one exits non-zero: see below)
#   assert_stderr REGEX      fails unless stderr matches (grep -E)
#   assert_one_line_stderr   fails unless stderr is exactly one line
#   fail MSG                 prints MSG and exits 1
# Tests run in a fresh scratch directory $WORK (removed on success).
: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(pwd)}"
BIN="$top_builddir/src"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ilrl-test.XXXXXX")
ERR_FILE="$WORK/stderr"
OUT_FILE="$WORK/stdout"
trap 'status=$?; if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "scratch kept: $WORK" >&2; fi; exit $status' EXIT

# Open MPI's start-up, paid by the tests' hundreds of short jobs (twice in
# CI: plain and sanitized).  pml ob1 is what Open MPI selects here anyway
# (one node, no UCX or libfabric hardware: pml_base_verbose shows it);
# naming it skips probing the others (a 2-rank job: 0.55 -> 0.3 s).  A
# program run without mpirun (a singleton) starts no orted of its own with
# ess_singleton_isolated (0.6 -> 0.15 s); it needs none (no spawn, no
# ports).  No test asserts on either; a caller's setting wins.  The Slurm
# gates (tests/slurm) do not source this file: they test the transports
# a job gets by default, TCP between nodes.
: "${OMPI_MCA_pml:=ob1}" "${OMPI_MCA_ess_singleton_isolated:=1}"
export OMPI_MCA_pml OMPI_MCA_ess_singleton_isolated

# kill_job PGREP_ARGS...: SIGKILL the processes pgrep PGREP_ARGS finds (a
# lost node: e.g. -f "out x.nc", or -P PID for an mpirun's children), and
# unlink the shared-memory files they had mapped in /dev/shm (Open MPI's
# vader segments and osc/sm windows).  A killed process cannot unlink its
# own, so every killed 2-rank job left two 4 MiB files behind (525 of them
# here after a few days of test runs).  Only this job's: the names carry
# its id and no other process maps them; unlinking a file still mapped by
# a dying process is safe.
kill_job() {
    kj_shm=
    for kj_pid in $(pgrep "$@"); do
        kj_shm="$kj_shm $(grep -o '/dev/shm/\(vader_segment\|osc_sm\)\.[^ ]*' "/proc/$kj_pid/maps" 2>/dev/null)"
    done
    pkill -KILL "$@"
    for kj_file in $kj_shm; do rm -f "$kj_file"; done
}

# python_require MODULE...: skip (77) unless $PYTHON (python3) imports them.
python_require() {
    "${PYTHON:-python3}" -c "import $(echo "$*" | tr ' ' ',')" 2>/dev/null || {
        echo "SKIP: python3 $(echo "$*" | tr ' ' '/') not installed (tests/install-deps.sh)" >&2; exit 77; }
}
# python_test SCRIPT SECONDS ARG...: tests/SCRIPT in the scratch directory
# with the source tree's ilrl package first on the path, at most SECONDS;
# the test fails unless it exits 0 (the script prints its own messages).
python_test() {
    pt_script=$1 pt_seconds=$2; shift 2
    cd "$WORK" || fail "no scratch dir"
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$top_srcdir/src${PYTHONPATH:+:$PYTHONPATH}" \
        timeout -k 5 "$pt_seconds" "${PYTHON:-python3}" "$top_srcdir/tests/$pt_script" "$@" \
        || fail "tests/$pt_script failed (messages above)"
}

fail() { echo "FAIL: $*" >&2; if [ -s "$ERR_FILE" ]; then echo "--- stderr:" >&2; cat "$ERR_FILE" >&2; fi; exit 1; }

# After a rank's non-zero exit (or MPI_Abort) mpirun ends the job's other
# ranks with SIGTERM and, odls_base_sigkill_timeout (1 s) later, SIGKILL; it
# sleeps out that second even when every rank has already gone, so a failing
# 2-rank job took ~1.5 s instead of ~0.5 s, and the bad-input batteries run
# ~250 of them (twice in CI: plain and sanitized).  run_expect's commands
# get no signal from the test (only timeout's TERM on a hang, which fails
# the case anyway), so the grace buys nothing there: 0.  What is asserted is
# unchanged: the first failing rank's exit status is mpirun's, and a rank
# that would linger is ended by mpirun either way (with or without the
# grace).  Tests that signal mpirun start it themselves, in the background,
# and keep Open MPI's default: there the grace is the ranks' time to write
# their checkpoint.  A caller's own setting wins.
run_expect() {
    expected=$1; shift
    OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-0} \
    timeout -k 5 "${ILRL_CASE_TIMEOUT:-240}" "$@" >"$OUT_FILE" 2>"$ERR_FILE"
    got=$?
    # 124: the timeout's TERM ended it; 137: it ignored TERM and was killed.
    { [ "$got" -eq 124 ] || [ "$got" -eq 137 ]; } && fail "timed out after ${ILRL_CASE_TIMEOUT:-240} s (hang?): $*"
    [ "$got" -eq "$expected" ] || fail "exit $got, expected $expected: $*"
}

assert_stderr() {
    grep -Eq -- "$1" "$ERR_FILE" || fail "stderr does not match /$1/"
}

assert_one_line_stderr() {
    lines=$(wc -l <"$ERR_FILE")
    [ "$lines" -eq 1 ] || fail "stderr has $lines lines, expected 1"
}
