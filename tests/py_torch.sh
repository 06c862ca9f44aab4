# py_torch.sh -- ilrl.torch: modules that cannot be exported are refused,
# export -> load keeps every parameter bit, a network from ilrl-train loads
# into torch, and PyTorch MLPs exported and measured by ilrl-landscape
# --theta have L_IL and L_RL equal to torch's own cross-entropy and
# REINFORCE surrogate to 1e-12 (tests/py_torch.py).  Skips (77) when
# python3 has no torch (Debian: python3-torch, in tests/install-deps.sh).
. "$top_srcdir/tests/lib.sh"
python_require numpy netCDF4 xarray
python_require torch
: "${MPIRUN_PROGRAM:=mpirun}"
python_test py_torch.py 900 "$BIN/ilrl-landscape" "$BIN/ilrl-train" "$BIN/ilrl-demo" \
    "$MPIRUN_PROGRAM -q --oversubscribe"
