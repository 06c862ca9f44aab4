# check_cartpole_np.sh -- the vectorised CartPole of the PyTorch peer
# (tests/peer/cartpole_np.py) replays recorded sessions of our simulator in
# lockstep and equals them bit for bit: a strong session (every episode
# truncated at 500 steps) and a random one (shaped rewards, poles falling).
# A copy with one observation moved by one unit in the last place, and one
# with a reward changed, must be caught.  NumPy and netCDF4 only.
. "$top_srcdir/tests/lib.sh"
PYTHON=${PYTHON:-python3}
CHECKER="$top_srcdir/tests/peer/check_cartpole_np.py"
DEMO="$BIN/ilrl-demo"
[ -x "$DEMO" ] || fail "$DEMO not built"

"$PYTHON" -c 'import numpy, netCDF4' 2>/dev/null || {
    echo "SKIP: python3 numpy/netCDF4 not installed" >&2; exit 77; }

cd "$WORK" || fail "no scratch dir"

run_expect 0 "$DEMO" --env cartpole --pilot strong --episodes 3 --seed 4 --out strong.nc -q
run_expect 0 "$DEMO" --env cartpole --pilot random --episodes 20 --rewards shaped --seed 5 --out random.nc -q
run_expect 0 "$PYTHON" "$CHECKER" strong.nc random.nc
grep -q "^strong.nc: 3 episodes, 1500 steps in lockstep: .* bit for bit" "$OUT_FILE" \
    || fail "strong session: $(cat "$OUT_FILE")"
grep -q "^random.nc: 20 episodes, .* bit for bit" "$OUT_FILE" || fail "random session: $(cat "$OUT_FILE")"

# One ulp of theta_dot at step 300 of episode 2, and one reward of episode 0.
"$PYTHON" - strong.nc <<'PY' || fail "could not write the altered copies"
import shutil, sys
import numpy as np
import netCDF4
shutil.copy(sys.argv[1], "ulp.nc")
shutil.copy(sys.argv[1], "reward.nc")
with netCDF4.Dataset("ulp.nc", "a") as nc:
    row = int(nc["episode_start"][2]) + 300
    nc["obs"][row, 3] = np.nextafter(float(nc["obs"][row, 3]), 2.0)
with netCDF4.Dataset("reward.nc", "a") as nc:
    nc["reward"][10] = 0.0
PY
run_expect 1 "$PYTHON" "$CHECKER" ulp.nc
grep -q "episode 2 step 300: observation file" "$OUT_FILE" || fail "ulp change: $(cat "$OUT_FILE")"
run_expect 1 "$PYTHON" "$CHECKER" reward.nc
grep -q "episode 0 step 10: reward file 0.0, vectorised 1.0" "$OUT_FILE" \
    || fail "reward change: $(cat "$OUT_FILE")"
exit 0
