# py_landscape.sh -- ilrl.landscape: open_landscape, ilrl-compare's numbers
# equal to the C library's to 1e-12, the training path on every panel of
# ilrl-plot's figures with the off-plane note, synthetic and from a real
# ilrl-train run (tests/py_landscape.py).
. "$top_srcdir/tests/lib.sh"
python_require numpy netCDF4 xarray matplotlib
: "${MPIRUN_PROGRAM:=mpirun}"
python_test py_landscape.py 900 \
    "$BIN/ilrl-compare" "$top_builddir/tests/compare_probe" "$top_builddir/tests/make-landscape" \
    "$BIN/ilrl-demo" "$BIN/ilrl-landscape" "$BIN/ilrl-plot" \
    "$MPIRUN_PROGRAM -q --oversubscribe" "$BIN/ilrl-train"
