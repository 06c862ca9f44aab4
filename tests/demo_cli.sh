# demo_cli.sh -- ilrl-demo's command line (docs/exit-status.md): --help,
# --version, one clear line and exit 2 for every bad option (keys files
# included: not regular, too large, bad lines), exit 4 and the original file
# untouched when the output exists, a poor session whose file carries the
# attributes of docs/formats.md, and a keys file replaying a session.
. "$top_srcdir/tests/lib.sh"

DEMO="$BIN/ilrl-demo"
[ -x "$DEMO" ] || fail "$DEMO not built"

# ---- --help, --version --------------------------------------------------------
run_expect 0 "$DEMO" --help
grep -q -- '--pilot' "$OUT_FILE" || fail "--help does not mention --pilot"
grep -q -- '--force' "$OUT_FILE" || fail "--help does not mention --force"
[ -s "$ERR_FILE" ] && fail "--help wrote to stderr"

run_expect 0 "$DEMO" --version
for lib in GSL NetCDF MPI; do
    grep -q "$lib" "$OUT_FILE" || fail "--version does not mention $lib"
done

# ---- bad command lines: exit 2, one line naming the option ---------------------
bad() {  # bad REGEX ARGS...: exit 2, one line on stderr matching REGEX, no file
    regex=$1; shift
    (cd "$WORK" && run_expect 2 "$DEMO" "$@") || exit 1
    assert_one_line_stderr
    assert_stderr "^ilrl-demo: .*$regex"
    [ -e "$WORK/demo.nc" ] && fail "a file was written for: $*"
    return 0
}
bad "--episodes: 'abc' is not a positive integer" --episodes abc
bad "--episodes: '0'" --episodes 0
bad "--episodes: '-2'" --episodes -2
bad "--episodes: '3x'" --episodes 3x
bad "--max-steps: '0'" --max-steps 0
bad "--max-steps: '1e3'" --max-steps 1e3
bad "--seed: 'x'" --seed x
bad "--seed: '-1'" --seed -1
bad "--rewards: 'dense'" --rewards dense
bad "--env: 'mountain-car' is not an environment \\(flappy-bird, cartpole\\)" --env mountain-car
bad "--rewards: 'sparse' is not default or shaped \\(the reward schemes of cartpole\\)" --env cartpole --rewards sparse
bad "--rewards: 'default' is not sparse or shaped" --rewards default --env flappy-bird
bad "--fps: '0'" --fps 0
bad "--fps: 'fast'" --fps fast
bad "unknown option '--bogus'" --bogus
bad "unknown option '-x'" -x
bad "option '--out' needs a value" --out
bad "unexpected argument 'extra'" extra
bad "--pilot: .*superb" --pilot superb
bad "--pilot: .*noisy" --pilot noisy:2
bad "--out: the file name is empty" --out ""

# ---- keys files: refused at once when they could hang or are not keys ----------
# /dev/zero was read forever, a FIFO without a writer blocked in open().
ILRL_CASE_TIMEOUT=10
bad "--pilot: keys file '/dev/zero' is not a regular file \(a device\)" --pilot keys:/dev/zero
mkfifo "$WORK/keys.fifo" || fail "mkfifo"
bad "--pilot: keys file '$WORK/keys.fifo' is not a regular file \(a FIFO\)" \
    --pilot "keys:$WORK/keys.fifo"
rm -f "$WORK/keys.fifo"
mkdir "$WORK/keys.dir"
bad "--pilot: keys file '$WORK/keys.dir' is not a regular file \(a directory\)" \
    --pilot "keys:$WORK/keys.dir"
rmdir "$WORK/keys.dir"
bad "--pilot: cannot open keys file '$WORK/none.txt'" --pilot "keys:$WORK/none.txt"
printf '# frames\n4\nfour\n' >"$WORK/keys.txt"
bad "--pilot: $WORK/keys.txt:3: expected one frame index >= 0 per line, got 'four'" \
    --pilot "keys:$WORK/keys.txt"
: >"$WORK/big.txt"
truncate -s 16777217 "$WORK/big.txt" || fail "truncate"
bad "--pilot: keys file '$WORK/big.txt' is 16777217 bytes, more than the 16777216" \
    --pilot "keys:$WORK/big.txt"
rm -f "$WORK/big.txt" "$WORK/keys.txt"
unset ILRL_CASE_TIMEOUT

# ---- a poor session --------------------------------------------------------------
run_expect 0 "$DEMO" --pilot poor --episodes 2 --seed 3 --out "$WORK/poor.nc"
[ -s "$ERR_FILE" ] && fail "stderr not empty on success"
grep -Eq '^episode 1: [0-9]+ steps, score 0, terminated$' "$OUT_FILE" || fail "no episode 1 line"
grep -Eq '^episode 2: ' "$OUT_FILE" || fail "no episode 2 line"
grep -Eq '^total: 2 episodes, [0-9]+ steps, mean score 0.00, wrote ' "$OUT_FILE" || fail "no total line"
ls "$WORK" | grep -q '\.tmp\.' && fail "temporary file left behind"

if command -v ncdump >/dev/null 2>&1; then
    ncdump -h "$WORK/poor.nc" >"$WORK/header" || fail "ncdump cannot read the file"
    for pattern in ':ilrl_file_kind = "demonstration"' ':Conventions = "CF-1.8"' \
                   ':n_actions = 2' ':env = "flappy-bird"' ':pilot = "poor"' \
                   ':reward_scheme = "sparse"' ':seed = 3' ':source = "ilrl-landscape ' \
                   ':history = "[0-9TZ:-]+: .*ilrl-demo --pilot poor --episodes 2 --seed 3' \
                   'double obs\(step, feature\)' 'int action\(step\)' \
                   'int64 episode_start\(episode\)' 'byte terminated\(episode\)' \
                   'int score\(episode\)' 'feature = 12'; do
        grep -Eq -- "$pattern" "$WORK/header" || fail "ncdump -h lacks /$pattern/"
    done
else
    echo "ncdump not installed: attributes not checked"
fi

# --quiet prints nothing; shaped rewards are recorded as such
run_expect 0 "$DEMO" --quiet --episodes 1 --rewards shaped --out "$WORK/quiet.nc"
[ -s "$OUT_FILE" ] && fail "--quiet printed something"
if command -v ncdump >/dev/null 2>&1; then
    ncdump -h "$WORK/quiet.nc" | grep -q ':reward_scheme = "shaped"' || fail "shaped not recorded"
fi

# ---- a keys file replays a session: the same actions, observations, rewards ----
run_expect 0 "$DEMO" --pilot noisy:0.05 --episodes 2 --max-steps 300 --seed 4 --quiet \
    --out "$WORK/noisy.nc"
if command -v ncdump >/dev/null 2>&1; then
    # action = 0, 1, 1, 0, ... -> the step indices of the 1s, one per line
    ncdump -v action "$WORK/noisy.nc" | sed -n '/^ action =/,/;/p' \
        | tr -d ' ;' | sed 's/^action=//' | tr ',' '\n' | grep -v '^$' \
        | awk '$1 == 1 { print NR - 1 }' >"$WORK/flaps.txt"
    [ -s "$WORK/flaps.txt" ] || fail "the noisy session never flapped"
    run_expect 0 "$DEMO" --pilot "keys:$WORK/flaps.txt" --episodes 2 --max-steps 300 \
        --seed 4 --quiet --out "$WORK/keys.nc"
    for var in obs action reward episode_length terminated score; do
        ncdump -p 9,17 -v "$var" "$WORK/noisy.nc" | sed -n "/^ $var =/,\$p" >"$WORK/a"
        ncdump -p 9,17 -v "$var" "$WORK/keys.nc" | sed -n "/^ $var =/,\$p" >"$WORK/b"
        cmp -s "$WORK/a" "$WORK/b" || fail "the keys replay differs in $var"
    done
    # CartPole: the listed frames push right, all others push left.
    run_expect 0 "$DEMO" --env cartpole --pilot noisy:0.4 --episodes 3 --seed 4 --quiet \
        --out "$WORK/cart.nc"
    ncdump -v action "$WORK/cart.nc" | sed -n '/^ action =/,/;/p' \
        | tr -d ' ;' | sed 's/^action=//' | tr ',' '\n' | grep -v '^$' \
        | awk '$1 == 1 { print NR - 1 }' >"$WORK/rights.txt"
    run_expect 0 "$DEMO" --env cartpole --pilot "keys:$WORK/rights.txt" --episodes 3 --seed 4 \
        --quiet --out "$WORK/cart-keys.nc"
    for var in obs action reward episode_length terminated; do
        ncdump -p 9,17 -v "$var" "$WORK/cart.nc" | sed -n "/^ $var =/,\$p" >"$WORK/a"
        ncdump -p 9,17 -v "$var" "$WORK/cart-keys.nc" | sed -n "/^ $var =/,\$p" >"$WORK/b"
        cmp -s "$WORK/a" "$WORK/b" || fail "the cartpole keys replay differs in $var"
    done
    ncdump -h "$WORK/cart-keys.nc" | grep -q ':env = "cartpole"' || fail "keys replay: env is not cartpole"
    ncdump -h "$WORK/cart-keys.nc" | grep -q 'int score' && fail "a cartpole session has a score variable"
fi

# ---- CartPole summary lines: length and return, no score ------------------------
run_expect 0 "$DEMO" --env cartpole --pilot poor --episodes 2 --rewards shaped --out "$WORK/cpoor.nc"
grep -q '^episode 1: 9 steps, terminated$' "$OUT_FILE" || fail "cartpole episode line"
grep -q '^total: 2 episodes, 18 steps, mean length 9.00, mean return -1.00, wrote ' "$OUT_FILE" \
    || fail "cartpole total line"
rm -f "$WORK/cpoor.nc"

# ---- output problems: exit 4, one line, nothing touched --------------------------
printf 'precious' >"$WORK/exists.nc"
run_expect 4 "$DEMO" --episodes 1 --out "$WORK/exists.nc"
assert_one_line_stderr
assert_stderr "exists \(use --force to overwrite\)"
[ "$(cat "$WORK/exists.nc")" = precious ] || fail "existing file was modified"

run_expect 0 "$DEMO" --episodes 1 --quiet --force --out "$WORK/exists.nc"
printf 'precious' | cmp -s - "$WORK/exists.nc" && fail "--force did not overwrite"

run_expect 4 "$DEMO" --episodes 1 --out "$WORK/no/such/dir/d.nc"
assert_one_line_stderr
assert_stderr "no/such/dir"

run_expect 4 "$DEMO" --episodes 1 --out "$WORK"
assert_one_line_stderr
assert_stderr "is a directory"
exit 0
