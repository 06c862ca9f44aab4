# py_landscape.sh -- ilrl.landscape: open_landscape, ilrl-compare's numbers
# equal to the C library's to 1e-12, the training path on every panel of
# ilrl-plot's figures with the off-plane note, synthetic and from a real
# ilrl-train run (tests/py_landscape.py).
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import numpy, netCDF4, xarray, matplotlib' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4/xarray/matplotlib not installed" >&2; exit 77; }
: "${MPIRUN_PROGRAM:=mpirun}"
cd "$WORK" || fail "no scratch dir"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$top_srcdir/src${PYTHONPATH:+:$PYTHONPATH}" \
    timeout -k 5 900 "$PYTHON" "$top_srcdir/tests/py_landscape.py" \
    "$BIN/ilrl-compare" "$top_builddir/tests/compare_probe" "$top_builddir/tests/make-landscape" \
    "$BIN/ilrl-demo" "$BIN/ilrl-landscape" "$BIN/ilrl-plot" \
    "$MPIRUN_PROGRAM -q --oversubscribe" "$BIN/ilrl-train" \
    || fail "tests/py_landscape.py failed (messages above)"
