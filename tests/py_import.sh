# py_import.sh -- ilrl-import on Minari, D4RL and .npz datasets made in the
# test in those layouts; the results read by the C reader and landscapes
# computed on 2 ranks; bad layouts, command lines and outputs refused with
# the documented exit statuses (tests/py_import.py).
. "$top_srcdir/tests/lib.sh"
python_require numpy netCDF4 h5py
: "${MPIRUN_PROGRAM:=mpirun}"
python_test py_import.py 900 "$BIN/ilrl-import" "$BIN/ilrl-landscape" "$BIN/ilrl-demo" \
    "$MPIRUN_PROGRAM -q --oversubscribe"
