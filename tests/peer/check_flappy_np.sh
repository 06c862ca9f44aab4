# check_flappy_np.sh -- the vectorised Flappy Bird of the PyTorch peer
# (tests/peer/flappy_np.py, what `make bench` times the peer on) replays
# recorded sessions of our simulator in lockstep and equals them bit for
# bit: a strong session (shaped rewards, 2 x 3000 steps, every pipe
# respawning many times), a noisy one (sparse, crashes) and a random one
# (shaped, birds above the screen).  A copy with one observation moved by
# one unit in the last place, and one with a reward changed, must be caught.
# NumPy and netCDF4 only.
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
CHECKER="$top_srcdir/tests/peer/check_flappy_np.py"
DEMO="$BIN/ilrl-demo"
[ -x "$DEMO" ] || fail "$DEMO not built"

"$PYTHON" -c 'import numpy, netCDF4' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4 not installed" >&2; exit 77; }

cd "$WORK" || fail "no scratch dir"

run_expect 0 "$DEMO" --pilot strong --episodes 2 --rewards shaped --seed 3 --out strong.nc -q
run_expect 0 "$DEMO" --pilot noisy:0.05 --episodes 5 --seed 7 --out noisy.nc -q
run_expect 0 "$DEMO" --pilot random --episodes 20 --rewards shaped --seed 2 --out random.nc -q
run_expect 0 "$PYTHON" "$CHECKER" strong.nc noisy.nc random.nc
grep -q "^strong.nc: 2 episodes, 6000 steps in lockstep: .* bit for bit" "$OUT_FILE" \
    || fail "strong session: $(cat "$OUT_FILE")"
grep -q "^noisy.nc: 5 episodes, .* bit for bit" "$OUT_FILE" || fail "noisy session: $(cat "$OUT_FILE")"
grep -q "^random.nc: 20 episodes, .* bit for bit" "$OUT_FILE" || fail "random session: $(cat "$OUT_FILE")"

# One ulp of feature 3 (the second pipe's x) of step 200 of episode 1 (a
# respawned pipe on screen), and one reward of episode 0.
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
run_expect 1 "$PYTHON" "$CHECKER" ulp.nc
grep -q "episode 1 step 200 feature 3:" "$OUT_FILE" || fail "ulp change: $(cat "$OUT_FILE")"
run_expect 1 "$PYTHON" "$CHECKER" reward.nc
grep -q "episode 0 step 10: reward file 1.0, vectorised 0.1" "$OUT_FILE" \
    || fail "reward change: $(cat "$OUT_FILE")"
run_expect 2 "$PYTHON" "$CHECKER"
exit 0
