#!/bin/sh
# installcheck -- `make installcheck`: the INSTALLED programs, end to end.
#
# Runs from the installed tree only (never the build tree): record a poor
# session with ilrl-demo, draw its landscape on two MPI ranks with
# ilrl-landscape, compare it with ilrl-compare and plot it with ilrl-plot;
# checks every exit status, that each output exists and is sane (a
# demonstration and a landscape file by their kind, an inverted verdict for
# the poor session, a PNG), that a bad command line and a bad input still
# get statuses 2 and 3 and leave existing outputs untouched; that the
# installed Python package imports and the installed ilrl-import turns an
# npz into a demonstration the installed ilrl-landscape reads, that the
# installed ilrl.landscape gives ilrl-compare's verdict and r and the
# installed ilrl.torch exports a network ilrl-landscape --theta reads; and that
# man(1) finds the installed pages.  Make passes the installed directories
# with DESTDIR already prefixed (bindir, mandir, manualdir, pythondir), and MPIRUN, PYTHON
# and MAN as configure found them.  Exits 0 when all pass, 1 otherwise.
set -u

: "${bindir:?bindir not set (run through make installcheck)}"
: "${mandir:?mandir not set}"
: "${manualdir:=}"
: "${pythondir:=}"
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

# 3. The comparison: one CSV row for the file, verdict inverted (poor
# session), the whole grid computed, no non-finite point.
expect 0 compare "$bindir/ilrl-compare" --csv landscape.nc
row=$(sed -n 2p compare.out)
case $row in
    landscape.nc,-*,inverted,1,0) pass "compare: $row" ;;
    *) fail "ilrl-compare: expected an inverted row for landscape.nc, got: $row" ;;
esac
pearson=$(echo "$row" | cut -d, -f2)
awk -v r="$pearson" 'BEGIN { exit !(r >= -1 && r <= -0.5) }' \
    || fail "ilrl-compare: pearson $pearson is not in [-1, -0.5]"
expect 3 compare-demo "$bindir/ilrl-compare" demo.nc
grep -q 'not a landscape file' compare-demo.err \
    || fail "ilrl-compare demo.nc: no message saying it is not a landscape"

# 4. The plot (needs matplotlib, netCDF4 and xarray for $PYTHON), drawn by
# the installed package ilrl.landscape: PYTHONPATH names the staged
# pythondir (the installed ilrl-plot looks in the unstaged one, see 5).
if "$PYTHON" -c 'import matplotlib, netCDF4, numpy, xarray' 2>/dev/null; then
    expect 0 plot env ${pythondir:+PYTHONPATH="$pythondir"} PYTHONDONTWRITEBYTECODE=1 \
        "$bindir/ilrl-plot" landscape.nc -o landscape.png
    magic=$(od -An -c -N 4 landscape.png 2>/dev/null | tr -d ' ')
    [ "$magic" = '211PNG' ] || fail "ilrl-plot: landscape.png is not a PNG ($magic)"
    expect 3 plot-missing env ${pythondir:+PYTHONPATH="$pythondir"} \
        "$bindir/ilrl-plot" missing.nc -o missing.png
else
    echo "installcheck: skipped ilrl-plot: $PYTHON lacks matplotlib/netCDF4/numpy/xarray"
fi

# 5. The Python bridge: the installed package ilrl (in $pythondir, which is
# not always on sys.path: docs/python.md) and ilrl-import.  An npz of a
# poor-pilot-like session (K = 2, 3 features, two episodes) becomes a
# demonstration whose landscape the installed ilrl-landscape draws on two
# ranks.  The installed ilrl-import looks in the unstaged pythondir, so
# PYTHONPATH points at the staged one.
if [ -z "$pythondir" ]; then
    echo "installcheck: skipped the Python package: pythondir not set"
elif "$PYTHON" -c 'import numpy, netCDF4, h5py, xarray' 2>/dev/null; then
    [ -f "$pythondir/ilrl/demo.py" ] || fail "the package ilrl is not installed in $pythondir"
    [ -x "$bindir/ilrl-import" ] || fail "$bindir/ilrl-import is not installed"
    expect 0 py-package env PYTHONPATH="$pythondir" PYTHONDONTWRITEBYTECODE=1 \
        "$PYTHON" -c 'import ilrl, ilrl.demo; print(ilrl.__file__)'
    case $(cat py-package.out) in
        "$pythondir"/ilrl/__init__.py) pass "package ilrl imported from $pythondir" ;;
        *) fail "package ilrl imported from $(cat py-package.out), not $pythondir" ;;
    esac
    # ilrl.landscape from the staged prefix gives ilrl-compare's numbers.
    expect 0 py-landscape env PYTHONPATH="$pythondir" PYTHONDONTWRITEBYTECODE=1 \
        "$PYTHON" -c 'import sys, ilrl.landscape as L
c = L.compare(L.open_landscape("landscape.nc"))
print(L.__file__); print(c["verdict"]); print("%.10g" % c["pearson"])'
    [ "$(sed -n 1p py-landscape.out)" = "$pythondir/ilrl/landscape.py" ] \
        || fail "ilrl.landscape imported from $(sed -n 1p py-landscape.out), not $pythondir"
    [ "$(sed -n 2p py-landscape.out),$(sed -n 3p py-landscape.out)" = "inverted,$pearson" ] \
        || fail "ilrl.landscape: $(sed -n 2,3p py-landscape.out | tr '\n' ' ')but ilrl-compare says inverted, $pearson"
    # ilrl.torch (when torch is there): a PyTorch network exported, then
    # read by the installed ilrl-landscape --theta.
    if "$PYTHON" -c 'import torch' 2>/dev/null; then
        expect 0 py-torch env PYTHONPATH="$pythondir" PYTHONDONTWRITEBYTECODE=1 \
            "$PYTHON" -c 'import torch, ilrl.torch
torch.manual_seed(1)
net = torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
ilrl.torch.export_network(net, "net.nc")
back = ilrl.torch.load_network("net.nc")
assert all(torch.equal(a.double(), b) for a, b in zip(net.parameters(), back.parameters()))
print(ilrl.torch.__file__)'
        [ "$(cat py-torch.out)" = "$pythondir/ilrl/torch.py" ] \
            || fail "ilrl.torch imported from $(cat py-torch.out), not $pythondir"
        expect 0 theta-landscape "$MPIRUN" -n 2 "$bindir/ilrl-landscape" --demo demo.nc \
            --theta net.nc --plane random:1 --nx 3 --ny 3 --quiet --out theta-landscape.nc
    else
        echo "installcheck: skipped ilrl.torch: $PYTHON has no torch"
    fi
    expect 0 npz env PYTHONDONTWRITEBYTECODE=1 "$PYTHON" -c '
import numpy as np
rng = np.random.default_rng(3)
n = 60
obs = rng.normal(size=(n, 3))
actions = (obs[:, 0] > 0).astype(np.int64)
rewards = np.where(np.arange(n) % 30 == 29, -1.0, 0.0)
terminals = np.zeros(n, bool)
terminals[[29, 59]] = True
np.savez("session.npz", observations=obs, actions=actions, rewards=rewards,
         terminals=terminals, timeouts=np.zeros(n, bool))'
    expect 0 import env PYTHONPATH="$pythondir" PYTHONDONTWRITEBYTECODE=1 \
        "$bindir/ilrl-import" --quiet -o imported.nc session.npz
    [ -s imported.nc ] || fail "ilrl-import wrote no imported.nc"
    expect 0 import-landscape "$MPIRUN" -n 2 "$bindir/ilrl-landscape" \
        --demo imported.nc --nx 9 --ny 7 --quiet --out imported-landscape.nc
    expect 0 import-compare "$bindir/ilrl-compare" --csv imported-landscape.nc
    grep -q '^imported-landscape.nc,' import-compare.out \
        || fail "ilrl-compare has no row for the imported demonstration's landscape"
    expect 3 import-bad env PYTHONPATH="$pythondir" PYTHONDONTWRITEBYTECODE=1 \
        "$bindir/ilrl-import" --quiet -o bad-import.nc demo.nc
    [ -e bad-import.nc ] && fail "a refused ilrl-import left bad-import.nc"
else
    echo "installcheck: skipped ilrl-import: $PYTHON lacks numpy/netCDF4/h5py/xarray"
fi

# 6. The manual: the five man pages, found by man(1) through MANPATH.
for program in ilrl-demo ilrl-landscape ilrl-compare ilrl-plot ilrl-import; do
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
    found=$(MANPATH="$mandir" "$MAN" -w ilrl-import 2>/dev/null)
    case $found in
        "$mandir"/man1/ilrl-import.1*) pass "man -w ilrl-import: $found" ;;
        *) fail "man does not find the installed ilrl-import page (got '$found')" ;;
    esac
else
    echo "installcheck: skipped man(1) lookup: no man program"
fi

if [ "$failures" -ne 0 ]; then
    echo "installcheck: $failures check(s) failed" >&2
    exit 1
fi
echo "installcheck: all checks passed"
