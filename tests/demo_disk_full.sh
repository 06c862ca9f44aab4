# demo_disk_full.sh -- a full disk while writing the demonstration: exit 4 with
# one line, the previous file untouched, no temporary file left.  Simulated
# with a file-size limit (ulimit -f, SIGXFSZ ignored so that write fails with
# EFBIG) and, when we may mount (root), with a tiny tmpfs (ENOSPC).
. "$top_srcdir/tests/lib.sh"

DEMO="$BIN/ilrl-demo"
[ -x "$DEMO" ] || fail "$DEMO not built"

check_untouched() {  # DIR: old.nc still holds "old", no temporary file
    [ "$(cat "$1/old.nc")" = old ] || fail "old.nc was modified"
    ls -a "$1" | grep -q '\.tmp\.' && fail "temporary file left in $1"
    return 0
}

# ---- file-size limit ------------------------------------------------------------
printf 'old' >"$WORK/old.nc"
( trap '' XFSZ; ulimit -f 16; exec "$DEMO" --episodes 1 --force --out "$WORK/old.nc" ) \
    >"$OUT_FILE" 2>"$ERR_FILE"
status=$?
[ "$status" -eq 4 ] || fail "ulimit -f: exit $status, expected 4"
assert_one_line_stderr
assert_stderr "old.nc.*(File too large|No space).*not written"
check_untouched "$WORK"

( trap '' XFSZ; ulimit -f 16; exec "$DEMO" --episodes 1 --out "$WORK/new.nc" ) \
    >"$OUT_FILE" 2>"$ERR_FILE"
status=$?
[ "$status" -eq 4 ] || fail "ulimit -f, new file: exit $status, expected 4"
[ -e "$WORK/new.nc" ] && fail "new.nc exists after a failed write"
check_untouched "$WORK"

# ---- a full tmpfs (root only; skipped where mount is not allowed) ----------------
MNT="$WORK/tiny"
mkdir "$MNT"
if mount -t tmpfs -o size=32k tmpfs "$MNT" 2>/dev/null; then
    trap 'status=$?; umount "$MNT" 2>/dev/null; if [ $status -eq 0 ]; then rm -rf "$WORK"; else echo "scratch kept: $WORK" >&2; fi; exit $status' EXIT
    printf 'old' >"$MNT/old.nc"
    run_expect 4 "$DEMO" --episodes 1 --force --out "$MNT/old.nc"
    assert_one_line_stderr
    assert_stderr "No space left on device.*not written"
    check_untouched "$MNT"
    umount "$MNT" || fail "cannot unmount $MNT"
else
    echo "tmpfs mount not permitted: ENOSPC case skipped (the ulimit case ran)"
fi
exit 0
