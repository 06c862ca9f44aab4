# py_import.sh -- ilrl-import on Minari, D4RL and .npz datasets made in the
# test in those layouts; the results read by the C reader and landscapes
# computed on 2 ranks; bad layouts, command lines and outputs refused with
# the documented exit statuses (tests/py_import.py).
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import numpy, netCDF4, h5py' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4/h5py not installed" >&2; exit 77; }
: "${MPIRUN_PROGRAM:=mpirun}"
cd "$WORK" || fail "no scratch dir"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$top_srcdir/src${PYTHONPATH:+:$PYTHONPATH}" \
    timeout -k 5 900 "$PYTHON" "$top_srcdir/tests/py_import.py" \
    "$BIN/ilrl-import" "$BIN/ilrl-landscape" "$BIN/ilrl-demo" \
    "$MPIRUN_PROGRAM -q --oversubscribe" \
    || fail "tests/py_import.py failed (messages above)"
