# py_torch.sh -- ilrl.torch: modules that cannot be exported are refused,
# export -> load keeps every parameter bit, a network from ilrl-train loads
# into torch, and PyTorch MLPs exported and measured by ilrl-landscape
# --theta have L_IL and L_RL equal to torch's own cross-entropy and
# REINFORCE surrogate to 1e-12 (tests/py_torch.py).  Skips (77) when
# python3 has no torch (Debian: python3-torch, in tests/install-deps.sh).
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
"$PYTHON" -c 'import numpy, netCDF4, xarray' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4/xarray not installed" >&2; exit 77; }
"$PYTHON" -c 'import torch' 2>/dev/null || {
    echo "SKIP: python3 has no torch (apt-get install python3-torch)" >&2; exit 77; }
"$BIN/ilrl-landscape" --help 2>/dev/null | grep -q -- '--theta' || {
    echo "SKIP: ilrl-landscape has no --theta" >&2; exit 77; }
: "${MPIRUN_PROGRAM:=mpirun}"
cd "$WORK" || fail "no scratch dir"
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$top_srcdir/src${PYTHONPATH:+:$PYTHONPATH}" \
    timeout -k 5 900 "$PYTHON" "$top_srcdir/tests/py_torch.py" \
    "$BIN/ilrl-landscape" "$BIN/ilrl-train" "$BIN/ilrl-demo" \
    "$MPIRUN_PROGRAM -q --oversubscribe" \
    || fail "tests/py_torch.py failed (messages above)"
