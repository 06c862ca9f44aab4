# py_demo.sh -- ilrl.demo.write_demo refuses exactly what the C reader
# refuses, with the same one-line messages, and accepts what it accepts
# (the cases and how they are checked: tests/py_demo.py).
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import numpy, netCDF4, xarray' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4/xarray not installed" >&2; exit 77; }
cd "$WORK" || fail "no scratch dir"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$top_srcdir/src${PYTHONPATH:+:$PYTHONPATH}" \
    timeout -k 5 600 "$PYTHON" "$top_srcdir/tests/py_demo.py" "$BIN/ilrl-landscape" \
    || fail "tests/py_demo.py failed (messages above)"
