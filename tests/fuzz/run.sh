#!/bin/sh
# run.sh FUZZER SECONDS SRCDIR -- `make fuzz`'s driver: fuzzes for SECONDS in
# libFuzzer's fork mode (a crash does not end the run), then replays every
# crashing input and sorts it by where it crashed:
#   ours     the first non-sanitizer frame is in our code (src/, tests/):
#            the run fails; fix it and keep the input in fuzz/regressions/;
#   library  the crash or leak happens inside libnetcdf / libhdf5 (e.g. while
#            nc_open parses a damaged HDF5 file), which we cannot prevent:
#            reported with its top frames, the run does not fail.  Known
#            ones are kept in fuzz/library/ (see fuzz/README.md).
# Work files: tests/fuzz-corpus (new inputs), tests/fuzz-artifacts (crashes),
# tests/fuzz-traces (their replays), tests/fuzz.log.
fuzzer=$1 seconds=$2 srcdir=$3
set -e
mkdir -p tests/fuzz-corpus tests/fuzz-artifacts
LSAN_OPTIONS="suppressions=$srcdir/tests/fuzz/lsan.supp:print_suppressions=0"
export LSAN_OPTIONS
# HDF5 1.10 frees uninitialised pointers on most damaged headers; with ASan's
# 0xbe fill that crashes nc_open every few inputs and stalls the fuzzer
# (tests/fuzz/README.md, finding 5).  Zero fill while fuzzing; the replay
# below uses the default fill.
ASAN_OPTIONS=malloc_fill_byte=0 "$fuzzer" -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=16384 \
    -artifact_prefix=tests/fuzz-artifacts/ tests/fuzz-corpus \
    "$srcdir/tests/fuzz/corpus" "$srcdir/tests/fuzz/regressions" \
    >tests/fuzz.log 2>&1 || true
grep -E '^#[0-9]+: cov: ' tests/fuzz.log | tail -1 || true
ours=0 library=0
mkdir -p tests/fuzz-traces
for input in tests/fuzz-artifacts/*; do
    [ -f "$input" ] || continue
    trace=tests/fuzz-traces/$(basename "$input").txt
    "$fuzzer" -runs=1 -rss_limit_mb=2048 -malloc_limit_mb=16384 "$input" >"$trace" 2>&1 && continue
    # The first stack frame outside the sanitizer runtime and libFuzzer.
    frame=$(grep -E '^ +#[0-9]+ ' "$trace" \
        | grep -vE ' in (__asan|__lsan|__ubsan|__sanitizer|__interceptor_|fuzzer::|malloc|calloc|realloc|free|strdup)\b' \
        | grep -vE '\((/[^)]*/)?fuzz_demo_reader\+0x' \
        | grep -vE 'libc\.so\.6' | head -1)
    # libc frames (abort, raise) are skipped: the harness's own abort() on a
    # contract violation (a two-line message) is ours.
    case "$frame" in
        *libhdf5*|*libnetcdf*) library=$((library + 1)); kind=library ;;
        *) ours=$((ours + 1)); kind=ours ;;
    esac
    echo "fuzz: $kind crash: $input: $(grep -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error' "$trace")"
    echo "      first frame:$frame"
done
echo "fuzz: ${seconds} s, $(ls tests/fuzz-corpus | wc -l) new corpus inputs, $ours crash(es) in our code, $library inside netcdf/HDF5 (log: tests/fuzz.log)"
[ "$ours" -eq 0 ]
