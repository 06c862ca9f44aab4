#!/bin/sh
# ci-sanitizers.sh [--build-only] [BUILD_DIR] -- the AddressSanitizer/
# UndefinedBehaviorSanitizer gate (issue 8): configures a separate build
# (default: build-sanitizers under the source tree) with --enable-sanitizers
# --enable-werror and runs the unit and MPI suites (`make check`, one pass)
# but plot_cli.sh (below); --build-only stops after the build (.ci/run
# builds while the Slurm gates run).  Leak
# detection stays on for the Check suites and the serial programs
# (ilrl-landscape's and ilrl-train's ranks turn it off), with only Open
# MPI's own allocations (libmpi, libopen-pal, PMIx, hwloc, libevent: see
# tests/lsan-mpi.supp) suppressed.  UBSan aborts on the first report
# (-fno-sanitize-recover).  Exit 0 and "sanitizers-clean", or the failing logs.
#
# Time (CI's limit is 45 min for everything; this gate was 830 s of it):
# - Full unwinding on malloc (fast_unwind_on_malloc=0) is there for the
#   leak reports only: Open MPI's libraries have no frame pointers, and the
#   fast unwinder's truncated stacks would not match the suppressions.  It
#   doubles the start-up of a sanitized MPI process (MPI_Init's thousands
#   of mallocs in those libraries: 1.2 s -> 0.6 s for a 2-rank job), and
#   ilrl-landscape and ilrl-train never run the leak check (their
#   __asan_default_options).  So ASAN_OPTIONS ends with
#   include_if_exists=<build>/asan-options/%b (%b: the program's name),
#   and those two programs' files there turn the fast unwinder back on.
#   Detection is the same with either unwinder; only the allocation stacks
#   printed in a report lose their frames inside Open MPI (ours keep theirs:
#   -fno-omit-frame-pointer).
# - With that, the two bad-input batteries (~250 mpirun jobs; a pass of their
#   own without leak detection until now) run in the one pass: their serial
#   programs (ilrl-demo, ilrl-compare, make-landscape) are leak-checked too.
# - plot_cli.sh is left out: it runs ilrl-plot (Python, no C of ours) on
#   files from tests/make-landscape, whose every shape py_landscape.sh and
#   compare_cli.sh also make here, sanitized.  Every other test stays in,
#   the Python ones too: they run our C programs (ilrl-landscape, ilrl-train,
#   ilrl-demo, ilrl-compare, the probes) on the files Python writes.
# - detect_stack_use_after_return=1 stays: measured within the noise here.
set -eu
build_only=
[ "${1:-}" = --build-only ] && { build_only=1; shift; }
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$srcdir/build-sanitizers}
jobs=${JOBS:-2}

mkdir -p "$build"
cd "$build"
build=$(pwd)   # absolute: ASAN_OPTIONS names a file in it, read from every test's directory
if [ ! -f Makefile ]; then
    "$srcdir/configure" --enable-sanitizers --enable-werror >configure.log 2>&1 \
        || { tail -30 configure.log; exit 1; }
fi
make -j"$jobs" >make.log 2>&1 || make -j"$jobs" >make.log 2>&1 \
    || { tail -40 make.log; exit 1; }   # a concurrent autoreconf may need a rerun
# The test programs too, so that the pass below only runs them.
make -j"$jobs" check TESTS= >>make.log 2>&1 || { tail -40 make.log; exit 1; }
[ -z "$build_only" ] || exit 0

# detect_leaks is left to each program: on for the serial programs and
# suites (the default), off in ilrl-landscape's and ilrl-train's MPI ranks
# (their __asan_default_options say why).  Full unwinding but in those two
# (header).
mkdir -p asan-options
printf 'fast_unwind_on_malloc=1\n' >asan-options/ilrl-landscape
printf 'fast_unwind_on_malloc=1\n' >asan-options/ilrl-train
ASAN_OPTIONS="fast_unwind_on_malloc=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:include_if_exists=$build/asan-options/%b"
LSAN_OPTIONS="suppressions=$srcdir/tests/lsan-mpi.supp:print_suppressions=0"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Inputs that only crash netcdf/HDF5 under ASan are not replayed here
# (tests/fuzz/README.md).
ILRL_SANITIZER_BUILD=1
# Sanitized ranks start 2-3x slower: more room per MPI test (run-mpi.sh).
ILRL_TEST_TIMEOUT=900
# A sanitized rank runs 3-5x slower: one program run may take minutes.
ILRL_CASE_TIMEOUT=400
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS ILRL_SANITIZER_BUILD ILRL_TEST_TIMEOUT ILRL_CASE_TIMEOUT

# Every test but plot_cli.sh (header), the longest first: make -j starts
# them in this order, and one of them started last would run alone at the
# end on one of the two cores (measured here: 40-115 s each; a test not
# named runs after them, as listed in Makefile.am).
skipped="tests/plot_cli.sh"
first="tests/landscape_value.np2 tests/landscape_path.np2 tests/train_ranks.np3
tests/landscape_resume.np2 tests/train_resume.np2 tests/landscape_signals.np2
tests/landscape_decisions.np2 tests/train_bad_input.np2 tests/bad_input.np2
tests/py_demo.sh tests/check_evaluator tests/bad_options.np2 tests/bad_files.np2
tests/landscape_return.np2 tests/landscape_node_share.np3 tests/py_landscape.sh"
first=$(echo $first)   # one line: the case patterns below match " NAME "
all_tests=$(make -s -f Makefile -f - print-tests <<'MAKE'
print-tests:
	@echo $(TESTS)
MAKE
)
tests=
for t in $first; do
    case " $all_tests " in *" $t "*) tests="$tests $t" ;; esac
done
for t in $all_tests; do
    case " $skipped $first " in *" $t "*) ;; *) tests="$tests $t" ;; esac
done

run_pass() {  # NAME TESTS: make check, showing the failing logs
    for t in $2; do rm -f "${t%.*}.log" "${t%.*}.trs" "$t.log" "$t.trs"; done
    if ! make -j"$jobs" check TESTS="$2" >"check-$1.log" 2>&1; then
        grep -E '^(FAIL|ERROR|XPASS):' "check-$1.log" || true
        for log in $(grep -lE '^(FAIL|ERROR)' $(for t in $2; do echo "${t%.*}.log" "$t.log"; done) 2>/dev/null); do
            echo "==== $log"; tail -60 "$log"
        done
        exit 1
    fi
    grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "check-$1.log" | tr '\n' ' '; echo "($1)"
}
run_pass all "$tests"

# A sanitizer report inside a test that still passed (e.g. a rank whose
# error output a test ignored) fails the gate too.
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' tests/*.log >reports.txt 2>/dev/null; then
    for log in $(cat reports.txt); do
        echo "==== sanitizer report in $log"; grep -m1 -A30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$log"
    done
    exit 1
fi
echo "sanitizers-clean"
