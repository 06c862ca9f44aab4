#!/bin/sh
# ci-valgrind.sh [BUILD_DIR] -- the valgrind gate (issue 8): the serial
# programs and the serial Check suites under
#   valgrind --error-exitcode=1 --leak-check=full
# in a separate plain build (default: build-valgrind under the source tree):
# (--error-exitcode=99 here, so that a program's own exit status 1-4 stays
# distinguishable from a valgrind report; any report fails the gate):
# ilrl-demo (a short poor and a short strong session), ilrl-compare (on a
# small landscape, table and JSON) and every tests/check_* suite with
# CK_FORK=no (valgrind follows one process).  Prints "valgrind-clean" or
# fails with the first report.  ilrl-landscape is MPI: its memory checks are
# the sanitizer gate's (tests/ci-sanitizers.sh).
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$srcdir/build-valgrind}
jobs=${JOBS:-2}
command -v valgrind >/dev/null 2>&1 || { echo "ci-valgrind: valgrind not installed (tests/install-deps.sh)"; exit 1; }

mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
    "$srcdir/configure" --enable-werror >configure.log 2>&1 || { tail -30 configure.log; exit 1; }
fi
{ make -j"$jobs" && make -j"$jobs" check TESTS=; } >make.log 2>&1 \
    || { make -j"$jobs" && make -j"$jobs" check TESTS=; } >make.log 2>&1 \
    || { tail -40 make.log; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ilrl-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
VALGRIND="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --num-callers=30"
CK_FORK=no
OPENBLAS_NUM_THREADS=1
export CK_FORK OPENBLAS_NUM_THREADS

failures=0
# check CODE NAME CMD...: runs CMD under valgrind (whose own verdict is exit
# 99); anything but exit CODE is a failure, shown with the logs at once.
check() {
    code=$1 name=$2
    shift 2
    start=$(date +%s)
    status=0
    $VALGRIND --log-file="$work/$name.vg" "$@" >"$work/$name.out" 2>&1 || status=$?
    if [ "$status" -eq "$code" ]; then
        echo "valgrind ok   $name ($(( $(date +%s) - start )) s)"
    else
        echo "valgrind FAIL $name (exit $status, expected $code): $*"
        tail -40 "$work/$name.vg" "$work/$name.out"
        failures=$((failures + 1))
    fi
}

check 0 demo-poor src/ilrl-demo --pilot poor --episodes 1 --max-steps 300 --seed 1 --quiet --out "$work/poor.nc"
check 0 demo-strong src/ilrl-demo --pilot strong --episodes 1 --max-steps 150 --seed 1 --quiet --out "$work/strong.nc"
check 4 demo-refused src/ilrl-demo --pilot poor --episodes 1 --quiet --out "$work/poor.nc"
check 2 demo-bad-option src/ilrl-demo --episodes x
tests/make-landscape inverted "$work/inverted.nc" >/dev/null
tests/make-landscape return "$work/return.nc" >/dev/null
check 0 compare-table src/ilrl-compare "$work/inverted.nc" "$work/return.nc"
check 0 compare-json src/ilrl-compare --json "$work/inverted.nc"
printf 'not netcdf\n' >"$work/bad.nc"
check 3 compare-bad-input src/ilrl-compare "$work/bad.nc"
check 3 compare-demo-file src/ilrl-compare "$work/poor.nc"
# The Check suites, two at a time.  VALGRIND_SKIP (default check_evaluator:
# a numerically heavy suite of the performance module that alone needs over
# 10 minutes under valgrind; check_schedule: an MPI suite, where Open MPI's
# own start-up allocations fill the report) names suites left to the
# sanitizer gate.
: "${VALGRIND_SKIP=check_evaluator check_schedule}"
suites=
for suite in tests/check_*; do
    [ -x "$suite" ] && [ -f "$suite" ] || continue
    case "$suite" in *.c|*.o|*.log|*.trs) continue ;; esac
    case " $VALGRIND_SKIP " in
        *" $(basename "$suite") "*) echo "valgrind skip $(basename "$suite") (VALGRIND_SKIP)"; continue ;;
    esac
    suites="$suites $suite"
done
set -- $suites
while [ $# -gt 0 ]; do
    first=$1; shift
    ( check 0 "$(basename "$first")" "$first"; [ "$failures" -eq 0 ] ) >"$work/pair1" 2>&1 &
    pid=$!
    if [ $# -gt 0 ]; then
        second=$1; shift
        ( check 0 "$(basename "$second")" "$second"; [ "$failures" -eq 0 ] ) >"$work/pair2" 2>&1 \
            || failures=$((failures + 1))
        cat "$work/pair2"
    fi
    wait "$pid" || failures=$((failures + 1))
    cat "$work/pair1"
done

if [ "$failures" -ne 0 ]; then
    echo "ci-valgrind: $failures run(s) with valgrind reports or failures"
    exit 1
fi
echo "valgrind-clean"
