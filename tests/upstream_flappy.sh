# upstream_flappy.sh -- recorded sessions replayed through the model of
# flappy-bird-gymnasium v0.4.0 in tests/upstream_flappy.py: a strong session
# (shaped rewards: upstream's own scheme; two episodes of 3000 steps, 79
# pipes each, so every pipe respawns many times) and a noisy one (sparse,
# episodes that end in crashes) equal upstream's observations, rewards,
# terminations and scores bit for bit.  A copy with one observation moved by
# one unit in the last place, and one with a reward changed, must be caught.
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
ORACLE="$top_srcdir/tests/upstream_flappy.py"
DEMO="$BIN/ilrl-demo"
[ -x "$DEMO" ] || fail "$DEMO not built"

"$PYTHON" -c 'import numpy, netCDF4' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4 not installed" >&2; exit 77; }

cd "$WORK" || fail "no scratch dir"

run_expect 0 "$DEMO" --pilot strong --episodes 2 --rewards shaped --seed 3 --out strong.nc -q
run_expect 0 "$PYTHON" "$ORACLE" strong.nc
grep -q "strong.nc: 2 episodes, 6000 steps: .* bit for bit" "$OUT_FILE" \
    || fail "strong session: $(cat "$OUT_FILE")"

run_expect 0 "$DEMO" --pilot noisy:0.01 --episodes 5 --seed 7 --out noisy.nc -q
run_expect 0 "$PYTHON" "$ORACLE" noisy.nc
grep -q "noisy.nc: 5 episodes, .* bit for bit" "$OUT_FILE" || fail "noisy session: $(cat "$OUT_FILE")"

# The oracle sees one ulp: feature 3 (the second pipe's x) of step 200 of
# episode 1 (on screen, a respawned pipe), and a reward of episode 0.
"$PYTHON" - strong.nc <<'PY' || fail "could not write the altered copies"
import shutil, sys
import numpy as np
import netCDF4
shutil.copy(sys.argv[1], "ulp.nc")
shutil.copy(sys.argv[1], "reward.nc")
with netCDF4.Dataset("ulp.nc", "a") as nc:
    row = int(nc["episode_start"][1]) + 200
    value = float(nc["obs"][row, 3])
    assert value < 1.0, "expected a pipe on screen"
    nc["obs"][row, 3] = np.nextafter(value, 2.0)
with netCDF4.Dataset("reward.nc", "a") as nc:
    nc["reward"][10] = 1.0
PY
run_expect 1 "$PYTHON" "$ORACLE" ulp.nc
grep -q "episode 1 step 200 feature 3:" "$OUT_FILE" || fail "ulp change: $(cat "$OUT_FILE")"
run_expect 1 "$PYTHON" "$ORACLE" reward.nc
grep -q "episode 0 step 10: reward file 1.0, upstream 0.1" "$OUT_FILE" \
    || fail "reward change: $(cat "$OUT_FILE")"
exit 0
