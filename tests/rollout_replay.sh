# rollout_replay.sh -- `ilrl-demo --pilot network:LANDSCAPE.nc:I,J` (docs/return-surface.md)
# replays a landscape point's rollouts: the demonstration it writes has
# exactly (bit for bit) the return_mean, return_std, score_mean and
# length_mean the landscape stores for (I, J), for greedy and sampled
# policies and both reward schemes; its metadata names the pilot, the run
# seed and the scheme; bad specs exit 2 and bad files exit 3 with one line.
. "$top_srcdir/tests/lib.sh"

DEMO="$BIN/ilrl-demo"
TOOL="$top_builddir/tests/rollout_tool"
[ -x "$DEMO" ] || fail "$DEMO not built"
[ -x "$TOOL" ] || fail "$TOOL not built"

# replay LANDSCAPE I J: the replay's statistics equal the stored ones.
replay() {
    file=$1; i=$2; j=$3
    run_expect 0 "$TOOL" point "$file" "$i" "$j"
    stored=$(cat "$OUT_FILE")
    out="$WORK/replay-$i-$j.nc"
    run_expect 0 "$DEMO" --pilot "network:$file:$i,$j" --out "$out" --force
    grep -q "^grid point ($i, $j) at" "$OUT_FILE" || fail "no replay line for ($i, $j)"
    printed=$(sed -n 's/.*policy: return_mean \([^ ]*\), return_std \([^ ]*\) (gamma [^)]*), score_mean \([^ ]*\), length_mean \(.*\)$/return_mean \1 return_std \2 score_mean \3 length_mean \4/p' "$OUT_FILE")
    run_expect 0 "$TOOL" replay "$out" "$file"
    got=$(cat "$OUT_FILE")
    [ "$got" = "$stored" ] || fail "replay of ($i, $j) in $file: got '$got', landscape has '$stored'"
    [ "$printed" = "$stored" ] || fail "ilrl-demo printed '$printed' for ($i, $j), landscape has '$stored'"
}

for policy in greedy sample; do
    for scheme in sparse shaped; do
        file="$WORK/land-$policy-$scheme.nc"
        run_expect 0 "$TOOL" landscape "$file" "$policy" "$scheme" return
        for point in "0 0" "2 0" "1 1" "0 2" "2 2"; do
            # shellcheck disable=SC2086
            replay "$file" $point
        done
    done
done

# ---- the demonstration's metadata: pilot, run seed (init_seed 7), scheme, and
# the file's 4 episodes of at most 400 steps ------------------------------------
file="$WORK/land-sample-shaped.nc"
run_expect 0 "$DEMO" --pilot "network:$file:2,1" --out "$WORK/meta.nc"
ncdump -h "$WORK/meta.nc" >"$WORK/meta.cdl" || fail "ncdump failed"
grep -q ":pilot = \"network:$file:2,1\"" "$WORK/meta.cdl" || fail "pilot attribute"
grep -Eq ':seed = 7(LL|L)? ;' "$WORK/meta.cdl" || fail "seed attribute is not the run seed 7"
grep -q ':reward_scheme = "shaped"' "$WORK/meta.cdl" || fail "reward_scheme attribute"
ncdump -h "$file" | grep -q ':reward_scheme = "shaped"' \
    || fail "the landscape file does not carry reward_scheme"
grep -q 'episode = 4 ;' "$WORK/meta.cdl" || fail "not the file's 4 episodes"

# Explicit options override the file's settings: 6 episodes, the first 4 of
# which are the file's (the seeds depend on the episode index only).
run_expect 0 "$DEMO" --pilot "network:$file:2,1" --episodes 6 --out "$WORK/six.nc"
ncdump -h "$WORK/six.nc" | grep -q 'episode = 6 ;' || fail "--episodes did not override"
ncdump -v episode_length "$WORK/meta.nc" | sed -n 's/.*episode_length = \(.*\) ;/\1/p' >"$WORK/l4"
ncdump -v episode_length "$WORK/six.nc" | sed -n 's/.*episode_length = \(.*\) ;/\1/p' >"$WORK/l6"
case "$(cat "$WORK/l6")" in
    "$(cat "$WORK/l4")"*) ;;
    *) fail "the first 4 of 6 episodes differ from the file's 4: $(cat "$WORK/l4") vs $(cat "$WORK/l6")" ;;
esac

# A landscape made without --objective return: still a policy; 8 greedy
# episodes of at most 1000 steps (the defaults of docs/return-surface.md).
run_expect 0 "$TOOL" landscape "$WORK/losses.nc" greedy sparse losses
run_expect 0 "$DEMO" --pilot "network:$WORK/losses.nc:1,1" --out "$WORK/losses-demo.nc"
ncdump -h "$WORK/losses-demo.nc" | grep -q 'episode = 8 ;' || fail "losses landscape: not 8 episodes"

# ---- errors: bad pilot spec -> 2, bad file -> 3, one line, no output -----------
bad() {  # bad CODE REGEX PILOT
    code=$1; regex=$2; spec=$3
    run_expect "$code" "$DEMO" --pilot "$spec" --out "$WORK/bad.nc"
    assert_one_line_stderr
    assert_stderr "^ilrl-demo: .*$regex"
    [ -e "$WORK/bad.nc" ] && fail "a file was written for --pilot $spec"
    return 0
}
bad 2 "I = 3 is outside the grid's x indices \[0, 3\)" "network:$file:3,0"
bad 2 "J = 7 is outside the grid's y indices \[0, 3\)" "network:$file:0,7"
bad 2 "expected network:LANDSCAPE.nc:I,J" "network:$file:1"
bad 2 "expected network:LANDSCAPE.nc:I,J" "network:$file:1,-1"
bad 2 "expected network:LANDSCAPE.nc:I,J" "network:$file"
bad 2 "expected network:LANDSCAPE.nc:I,J" "network:1,1"
bad 3 "$WORK/missing.nc" "network:$WORK/missing.nc:0,0"
# A demonstration file is not a landscape.
bad 3 "meta.nc" "network:$WORK/meta.nc:0,0"
# A landscape whose network plays none of our environments (make-landscape: 2-1-2).
if [ -x "$top_builddir/tests/make-landscape" ]; then
    run_expect 0 "$top_builddir/tests/make-landscape" return "$WORK/tiny.nc"
    bad 3 "layer_sizes \\(2 inputs, 2 outputs\\) fit no environment of flappy-bird, cartpole" "network:$WORK/tiny.nc:0,0"
fi

# ---- the engine's own return surface, once ilrl-landscape has --objective ------
LANDSCAPE="$BIN/ilrl-landscape"
if [ -x "$LANDSCAPE" ] && "$LANDSCAPE" --help 2>/dev/null | grep -q -- '--rollouts'; then
    run_expect 0 "$DEMO" --pilot poor --episodes 1 --max-steps 200 --rewards shaped \
        --out "$WORK/poor.nc" --quiet
    run_expect 0 "$LANDSCAPE" --demo "$WORK/poor.nc" --nx 3 --ny 2 --objective return \
        --rollouts 3 --rollout-steps 300 --seed 5 --out "$WORK/engine.nc"
    for point in "0 0" "2 1" "1 0"; do
        # shellcheck disable=SC2086
        replay "$WORK/engine.nc" $point
    done
    run_expect 0 "$LANDSCAPE" --demo "$WORK/poor.nc" --nx 2 --ny 2 --objective return \
        --rollouts 3 --rollout-steps 300 --rollout-policy sample --out "$WORK/engine-sample.nc"
    for point in "0 0" "1 1"; do
        # shellcheck disable=SC2086
        replay "$WORK/engine-sample.nc" $point
    done
else
    echo "note: ilrl-landscape has no --objective return yet; engine replay skipped"
fi
exit 0
