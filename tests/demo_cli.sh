# demo_cli.sh -- ilrl-demo's command line (SPEC §9): --help, --version, one
# clear line and exit 2 for every bad option, exit 4 and the original file
# untouched when the output exists, and a poor session whose file carries the
# SPEC §3 attributes.
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
bad "--fps: '0'" --fps 0
bad "--fps: 'fast'" --fps fast
bad "unknown option '--bogus'" --bogus
bad "unknown option '-x'" -x
bad "option '--out' needs a value" --out
bad "unexpected argument 'extra'" extra
bad "--pilot: .*superb" --pilot superb
bad "--pilot: .*noisy" --pilot noisy:2
bad "--out: the file name is empty" --out ""

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
