# upstream_cartpole.sh -- recorded CartPole sessions replayed through the
# model of Gymnasium 1.x's CartPole-v1 in tests/upstream_cartpole.py: a
# strong session (default rewards, every episode truncated at 500 steps), a
# noisy one (shaped rewards, falls and truncations) and a random one equal
# Gymnasium's observations, rewards and terminations bit for bit, start
# states included.  A copy with one observation moved by one unit in the
# last place of a float32, and one with a reward changed, must be caught.
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
ORACLE="$top_srcdir/tests/upstream_cartpole.py"
DEMO="$BIN/ilrl-demo"
[ -x "$DEMO" ] || fail "$DEMO not built"

"$PYTHON" -c 'import numpy, netCDF4' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4 not installed" >&2; exit 77; }

cd "$WORK" || fail "no scratch dir"

run_expect 0 "$DEMO" --env cartpole --pilot strong --episodes 3 --seed 3 --out strong.nc -q
run_expect 0 "$PYTHON" "$ORACLE" strong.nc
grep -q "strong.nc: 3 episodes, 1500 steps: .* bit for bit" "$OUT_FILE" \
    || fail "strong session: $(cat "$OUT_FILE")"

run_expect 0 "$DEMO" --env cartpole --pilot noisy:0.35 --episodes 8 --seed 7 --rewards shaped \
    --out noisy.nc -q
run_expect 0 "$PYTHON" "$ORACLE" noisy.nc
grep -q "noisy.nc: 8 episodes, .* bit for bit" "$OUT_FILE" || fail "noisy session: $(cat "$OUT_FILE")"
ncdump -v terminated noisy.nc | grep -q "terminated = .*1" || fail "no noisy episode fell"

run_expect 0 "$DEMO" --env cartpole --pilot random --episodes 10 --seed 0 --out random.nc -q
run_expect 0 "$PYTHON" "$ORACLE" random.nc

"$PYTHON" - noisy.nc <<'PY' || fail "could not write the altered copies"
import shutil, sys
import numpy as np
import netCDF4
shutil.copy(sys.argv[1], "ulp.nc")
shutil.copy(sys.argv[1], "reward.nc")
with netCDF4.Dataset("ulp.nc", "a") as nc:
    value = np.float32(nc["obs"][40, 2])
    nc["obs"][40, 2] = float(np.nextafter(value, np.float32(1)))
with netCDF4.Dataset("reward.nc", "a") as nc:
    nc["reward"][10] = 1.0
PY
run_expect 1 "$PYTHON" "$ORACLE" ulp.nc
grep -q "^step 40: observation" "$OUT_FILE" || fail "ulp change: $(cat "$OUT_FILE")"
run_expect 1 "$PYTHON" "$ORACLE" reward.nc
grep -q "^step 10: reward 1.0, Gymnasium 0.0" "$OUT_FILE" || fail "reward change: $(cat "$OUT_FILE")"
exit 0
