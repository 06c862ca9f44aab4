#!/bin/sh
# ci-sanitizers.sh [BUILD_DIR] -- the AddressSanitizer/UndefinedBehaviorSanitizer
# gate (issue 8): configures a separate build (default: build-sanitizers under
# the source tree) with --enable-sanitizers --enable-werror and runs the unit
# and MPI suites (`make check`).  Leak detection stays on for the Check
# suites and the serial programs (ilrl-landscape's ranks turn it off), with
# only Open MPI's own allocations (libmpi, libopen-pal, PMIx, hwloc, libevent: see
# tests/lsan-mpi.supp) suppressed; the two bad-input batteries run without
# it (see below).  UBSan aborts on the first report
# (-fno-sanitize-recover).  Exit 0 and "sanitizers-clean", or the failing logs.
set -eu
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$srcdir/build-sanitizers}
jobs=${JOBS:-2}

mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
    "$srcdir/configure" --enable-sanitizers --enable-werror >configure.log 2>&1 \
        || { tail -30 configure.log; exit 1; }
fi
make -j"$jobs" >make.log 2>&1 || make -j"$jobs" >make.log 2>&1 \
    || { tail -40 make.log; exit 1; }   # a concurrent autoreconf may need a rerun

# Full unwinding on malloc: Open MPI's libraries have no frame pointers, and
# the fast unwinder's truncated stacks would not match the suppressions.
# detect_leaks is left to each program: on for the serial programs and
# suites (the default), off in ilrl-landscape's MPI ranks (its
# __asan_default_options says why).
ASAN_OPTIONS="fast_unwind_on_malloc=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
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

# Two passes.  1: every suite but the two bad-input batteries, leak
# detection on for the serial programs and Check suites.
# 2: the batteries (~180 failing mpirun jobs): full unwinding costs ~2 s per
# job there, so their ranks run ASan/UBSan without leak detection, as the
# issue allows for MPI ranks.
batteries="tests/bad_input.np2 tests/bad_options.np2"
all_tests=$(make -s -f Makefile -f - print-tests <<'MAKE'
print-tests:
	@echo $(TESTS)
MAKE
)
others=
for t in $all_tests; do
    case " $batteries " in *" $t "*) ;; *) others="$others $t" ;; esac
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
run_pass leaks "$others"
ASAN_OPTIONS="detect_leaks=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export ASAN_OPTIONS
run_pass batteries "$batteries"

# A sanitizer report inside a test that still passed (e.g. a rank whose
# error output a test ignored) fails the gate too.
if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' tests/*.log >reports.txt 2>/dev/null; then
    for log in $(cat reports.txt); do
        echo "==== sanitizer report in $log"; grep -m1 -A30 -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: ' "$log"
    done
    exit 1
fi
echo "sanitizers-clean"
