# human_pty.sh -- the human pilot in a real terminal.  tmux runs
# `ilrl-demo --pilot human` in a pane and types into it:
#   1. space (start), a few spaces and up (flaps), then q: the file keeps
#      what was played (>= 1 step, some flaps) and the terminal is back in
#      cooked mode (icanon, echo) once the program has exited;
#   2. the same, then Ctrl-C: the program dies of SIGINT (130), writes no
#      file, and the terminal is still restored;
#   3. CartPole (--env cartpole): an arrow starts, right and left arrows push
#      (recorded as actions 1 and 0), the ASCII cart and pole are on screen,
#      q keeps what was played.
. "$top_srcdir/tests/lib.sh"

command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux not installed"; exit 77; }
command -v ncdump >/dev/null 2>&1 || { echo "SKIP: ncdump not installed"; exit 77; }
[ -x "$BIN/ilrl-demo" ] || { echo "SKIP: $BIN/ilrl-demo not built"; exit 77; }

SOCKET="$WORK/tmux.sock"
tmux_() { tmux -S "$SOCKET" "$@"; }
trap 'status=$?; tmux_ kill-server >/dev/null 2>&1; if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "scratch kept: $WORK" >&2; fi; exit $status' EXIT

# start_game NAME: a new tmux session NAME runs the script NAME.sh: the game
# (output NAME.nc), then `stty -a` on the same terminal, so a terminal left
# in raw mode shows up as -icanon / -echo.  The INT trap keeps the script
# alive when Ctrl-C kills the game (the game itself still gets the default
# SIGINT: exec resets handlers).
start_game() {
    {
        echo "trap 'echo interrupted' INT"
        echo "'$BIN/ilrl-demo' --pilot human --episodes 3 --max-steps 3000 --seed 5 ${GAME_ARGS:-} --out '$WORK/$1.nc' --quiet 2>'$WORK/$1.err'"
        echo "echo \$? >'$WORK/$1.status'"
        echo "stty -a >'$WORK/$1.stty'"
        echo "touch '$WORK/$1.done'"
        echo "sleep 30"
    } >"$WORK/$1.sh"
    if tmux_ has-session 2>/dev/null; then
        tmux_ new-session -d -s "$1" -x 100 -y 30 "sh '$WORK/$1.sh'" || fail "cannot start tmux"
    else
        tmux_ -f /dev/null new-session -d -s "$1" -x 100 -y 30 "sh '$WORK/$1.sh'" || fail "cannot start tmux"
    fi
}

# wait_for_screen NAME TEXT: until the pane shows TEXT (10 s at most).
wait_for_screen() {
    i=0
    until tmux_ capture-pane -t "$1" -p 2>/dev/null | grep -q "$2"; do
        i=$((i + 1)); [ $i -gt 100 ] && fail "$1: the screen never showed '$2'"
        sleep 0.1
    done
}

# wait_for_exit NAME: until the game has ended and stty has run (15 s at most).
wait_for_exit() {
    i=0
    until [ -e "$WORK/$1.done" ]; do
        i=$((i + 1)); [ $i -gt 150 ] && fail "$1: ilrl-demo did not end"
        sleep 0.1
    done
}

# assert_cooked NAME: the terminal is back in canonical mode with echo.
assert_cooked() {
    grep -q 'icanon' "$WORK/$1.stty" || fail "$1: stty -a output unreadable"
    grep -Eq -- '(^| )-icanon( |$)' "$WORK/$1.stty" && fail "$1: terminal left without icanon"
    grep -Eq -- '(^| )-echo( |$)' "$WORK/$1.stty" && fail "$1: terminal left without echo"
    return 0
}

# flap_a_bit NAME: start the episode with a space, then flap five times.
flap_a_bit() {
    wait_for_screen "$1" "press space"
    tmux_ send-keys -t "$1" " "
    wait_for_screen "$1" "score"
    for n in 1 2 3 4; do
        tmux_ send-keys -t "$1" " "
        sleep 0.15
    done
    tmux_ send-keys -t "$1" Up
    sleep 0.2
}

# 1. Play, then q.
start_game quit
flap_a_bit quit
tmux_ send-keys -t quit q
wait_for_exit quit
status=$(cat "$WORK/quit.status")
[ "$status" -eq 0 ] || { cat "$WORK/quit.err" >&2; fail "ilrl-demo exited $status after q"; }
OUT="$WORK/quit.nc"
[ -s "$OUT" ] || fail "no output file $OUT"
ncdump -h "$OUT" >"$OUT_FILE" || fail "ncdump cannot read $OUT"
grep -Eq 'step = [1-9][0-9]* ;|step = UNLIMITED ; // \([1-9]' "$OUT_FILE" || fail "no steps recorded"
grep -q 'pilot = "human"' "$OUT_FILE" || fail "pilot attribute is not human"
ncdump -v action "$OUT" >"$OUT_FILE"
flaps=$(sed -n '/^ action =/,/;/p' "$OUT_FILE" | tr -c '0-9\n' ' ' | tr ' ' '\n' | grep -c '^1$')
[ "$flaps" -ge 1 ] || fail "no flap recorded (the keys were not read)"
assert_cooked quit

# 2. Ctrl-C in the middle of an episode.
start_game interrupt
flap_a_bit interrupt
tmux_ send-keys -t interrupt C-c
wait_for_exit interrupt
status=$(cat "$WORK/interrupt.status")
[ "$status" -eq 130 ] || fail "ilrl-demo exited $status after Ctrl-C, expected 130"
[ -e "$WORK/interrupt.nc" ] && fail "a file was written despite Ctrl-C"
assert_cooked interrupt

# 3. CartPole: right arrows (push right) while the pole is up, then q.  At
# 10 fps the pole stands a few seconds; the frames pushed right are those
# where a Right arrived.
GAME_ARGS="--env cartpole --fps 10"
start_game cart
wait_for_screen cart "press an arrow"
tmux_ send-keys -t cart Right
wait_for_screen cart "frame"
wait_for_screen cart "\[###\]"
wait_for_screen cart "left/right arrows: push"
for n in 1 2 3; do
    tmux_ send-keys -t cart Right
    sleep 0.12
done
tmux_ send-keys -t cart q
wait_for_exit cart
status=$(cat "$WORK/cart.status")
[ "$status" -eq 0 ] || { cat "$WORK/cart.err" >&2; fail "cartpole: ilrl-demo exited $status after q"; }
OUT="$WORK/cart.nc"
ncdump -h "$OUT" >"$OUT_FILE" || fail "ncdump cannot read $OUT"
grep -q 'env = "cartpole"' "$OUT_FILE" || fail "cartpole: env attribute"
grep -q 'feature = 4 ;' "$OUT_FILE" || fail "cartpole: not 4 features"
ncdump -v action "$OUT" >"$OUT_FILE"
steps=$(sed -n '/^ action =/,/;/p' "$OUT_FILE" | tr -c '0-9\n' ' ' | tr ' ' '\n' | grep -c '^[01]$')
[ "$steps" -ge 3 ] || fail "cartpole: only $steps steps recorded"
assert_cooked cart
exit 0
