#!/bin/sh
# installcheck -- `make installcheck`: the INSTALLED programs, end to end.
#
# Runs from the installed tree only (never the build tree): record a poor
# session with ilrl-demo, draw its landscape on two MPI ranks with
# ilrl-landscape, compare it with ilrl-compare and plot it with ilrl-plot;
# checks every exit status, that each output exists and is sane (a
# demonstration and a landscape file by their kind, an inverted verdict for
# the poor session, a PNG), that a bad command line and a bad input still
# get statuses 2 and 3 and leave existing outputs untouched, and that man(1)
# finds the installed pages.  Make passes the installed directories with
# DESTDIR already prefixed (bindir, mandir, manualdir), and MPIRUN, PYTHON
# and MAN as configure found them.  Exits 0 when all pass, 1 otherwise.
set -u

: "${bindir:?bindir not set (run through make installcheck)}"
: "${mandir:?mandir not set}"
: "${manualdir:=}"
: "${MPIRUN:=mpirun}"
: "${PYTHON:=python3}"
: "${MAN:=man}"

failures=0
fail() { echo "installcheck: FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "installcheck: ok: $*"; }

# Open MPI refuses root without these; a 1-core machine needs oversubscribe.
OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_rmaps_base_oversubscribe

work=$(mktemp -d "${TMPDIR:-/tmp}/ilrl-installcheck.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM
cd "$work" || exit 1

# expect STATUS NAME COMMAND...: runs COMMAND, output in NAME.out/NAME.err.
expect() {
    want=$1 name=$2
    shift 2
    "$@" >"$name.out" 2>"$name.err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        pass "$name: exit $got"
    else
        fail "$name: exit $got, expected $want: $*"
        sed 's/^/    /' "$name.err" >&2
    fi
}

for program in ilrl-demo ilrl-landscape ilrl-compare ilrl-plot; do
    [ -x "$bindir/$program" ] || fail "$bindir/$program is not installed"
done
expect 0 demo-version "$bindir/ilrl-demo" --version
grep -q '^ilrl-demo (ilrl-landscape) ' demo-version.out \
    || fail "ilrl-demo --version: unexpected text: $(head -n 1 demo-version.out)"

# 1. A demonstration: the poor pilot crashes into the first pipe.
expect 0 demo "$bindir/ilrl-demo" --pilot poor --episodes 1 --max-steps 500 \
    --seed 1 --quiet --out demo.nc
[ -s demo.nc ] || fail "ilrl-demo wrote no demo.nc"
cp demo.nc demo.orig
expect 4 demo-exists "$bindir/ilrl-demo" --quiet --out demo.nc
cmp -s demo.nc demo.orig || fail "a refused ilrl-demo changed the existing demo.nc"
grep -q 'demo.nc exists' demo-exists.err || fail "ilrl-demo did not say demo.nc exists"

# 2. Its landscape on two ranks; a bad option and a bad input end both ranks.
expect 0 landscape "$MPIRUN" -n 2 "$bindir/ilrl-landscape" --demo demo.nc \
    --nx 21 --ny 17 --quiet --out landscape.nc
[ -s landscape.nc ] || fail "ilrl-landscape wrote no landscape.nc"
[ -e landscape.nc.partial ] && fail "a finished run left landscape.nc.partial"
expect 2 landscape-bad-option "$MPIRUN" -n 2 "$bindir/ilrl-landscape" --nx 0 --out bad.nc
grep -q "ilrl-landscape: --nx: '0'" landscape-bad-option.err \
    || fail "ilrl-landscape --nx 0: no message naming --nx"
expect 3 landscape-bad-input "$MPIRUN" -n 2 "$bindir/ilrl-landscape" \
    --demo landscape.nc --out bad.nc
[ -e bad.nc ] && fail "a failed ilrl-landscape left bad.nc"

# 3. The comparison: one CSV row for the file, verdict inverted (poor session).
expect 0 compare "$bindir/ilrl-compare" --csv landscape.nc
row=$(sed -n 2p compare.out)
case $row in
    landscape.nc,-*,inverted) pass "compare: $row" ;;
    *) fail "ilrl-compare: expected an inverted row for landscape.nc, got: $row" ;;
esac
pearson=$(echo "$row" | cut -d, -f2)
awk -v r="$pearson" 'BEGIN { exit !(r >= -1 && r <= -0.5) }' \
    || fail "ilrl-compare: pearson $pearson is not in [-1, -0.5]"
expect 3 compare-demo "$bindir/ilrl-compare" demo.nc
grep -q 'not a landscape file' compare-demo.err \
    || fail "ilrl-compare demo.nc: no message saying it is not a landscape"

# 4. The plot (needs matplotlib and netCDF4 for $PYTHON).
if "$PYTHON" -c 'import matplotlib, netCDF4, numpy' 2>/dev/null; then
    expect 0 plot "$bindir/ilrl-plot" landscape.nc -o landscape.png
    magic=$(od -An -c -N 4 landscape.png 2>/dev/null | tr -d ' ')
    [ "$magic" = '211PNG' ] || fail "ilrl-plot: landscape.png is not a PNG ($magic)"
    expect 3 plot-missing "$bindir/ilrl-plot" missing.nc -o missing.png
else
    echo "installcheck: skipped ilrl-plot: $PYTHON lacks matplotlib/netCDF4/numpy"
fi

# 5. The manual: the four man pages, found by man(1) through MANPATH.
for program in ilrl-demo ilrl-landscape ilrl-compare ilrl-plot; do
    [ -f "$mandir/man1/$program.1" ] || fail "$mandir/man1/$program.1 is not installed"
done
if [ -n "$manualdir" ]; then
    [ -f "$manualdir/README.md" ] || fail "the manual is not installed in $manualdir"
fi
if [ "$MAN" != no ] && command -v "$MAN" >/dev/null 2>&1; then
    found=$(MANPATH="$mandir" "$MAN" -w ilrl-landscape 2>/dev/null)
    case $found in
        "$mandir"/man1/ilrl-landscape.1*) pass "man -w ilrl-landscape: $found" ;;
        *) fail "man does not find the installed ilrl-landscape page (got '$found')" ;;
    esac
    MANPATH="$mandir" MANWIDTH=80 "$MAN" ilrl-landscape 2>/dev/null >man.out
    grep -q 'ilrl-landscape' man.out && grep -q 'EXIT STATUS' man.out \
        || fail "man ilrl-landscape did not render the page"
else
    echo "installcheck: skipped man(1) lookup: no man program"
fi

if [ "$failures" -ne 0 ]; then
    echo "installcheck: $failures check(s) failed" >&2
    exit 1
fi
echo "installcheck: all checks passed"
