# py_demo.sh -- ilrl.demo.write_demo refuses exactly what the C reader
# refuses, with the same one-line messages, and accepts what it accepts
# (the cases and how they are checked: tests/py_demo.py).
. "$top_srcdir/tests/lib.sh"
python_require numpy netCDF4 xarray
python_test py_demo.py 600 "$BIN/ilrl-landscape"
