# compare_cli.sh -- ilrl-compare on synthetic landscapes written by the
# library's writer (tests/make-landscape): table, --csv, --json, exit codes.
. "$top_srcdir/tests/lib.sh"
MAKE_LANDSCAPE="$top_builddir/tests/make-landscape"
COMPARE="$BIN/ilrl-compare"
PYTHON=${PYTHON:-python3}

cd "$WORK" || fail "no scratch dir"
for shape in inverted aligned constant partial return demo; do
    "$MAKE_LANDSCAPE" "$shape" "$shape.nc" || fail "make-landscape $shape"
done
# A file name that needs escaping in JSON and quoting in CSV.
cp aligned.nc 'odd "name",x.nc'

# ---- table (default) ----
run_expect 0 "$COMPARE" inverted.nc aligned.nc constant.nc
[ "$(wc -l <"$OUT_FILE")" -eq 4 ] || fail "table: expected header + 3 rows"
head -1 "$OUT_FILE" | grep -q 'pearson.*spearman.*verdict' || fail "table header"
grep -Eq '^inverted\.nc +-1\.0000 .* inverted' "$OUT_FILE" || fail "table: inverted row"
grep -Eq '^aligned\.nc +\+1\.0000 .* aligned' "$OUT_FILE" || fail "table: aligned row"
grep -Eq '^constant\.nc +nan +nan .* unrelated' "$OUT_FILE" || fail "table: constant row"
[ -s "$ERR_FILE" ] && fail "table: unexpected stderr"

# ---- CSV ----
run_expect 0 "$COMPARE" --csv inverted.nc 'odd "name",x.nc' return.nc
head -1 "$OUT_FILE" | grep -q '^file,pearson,spearman,il_argmin_x,il_argmin_y,rl_argmin_x,rl_argmin_y,minima_distance,gradient_cosine,nrmsd,verdict,il_return_pearson,rl_return_pearson$' \
    || fail "csv header"
"$PYTHON" - "$OUT_FILE" <<'PY' || fail "csv content"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
near = lambda text, value: abs(float(text) - value) < 1e-9
assert [r["file"] for r in rows] == ["inverted.nc", 'odd "name",x.nc', "return.nc"], rows
assert near(rows[0]["pearson"], -1) and rows[0]["verdict"] == "inverted"
assert near(rows[1]["nrmsd"], 0) and rows[1]["il_return_pearson"] == ""
assert near(rows[0]["il_argmin_x"], 0.2) and near(rows[0]["il_argmin_y"], -0.5)
assert near(rows[2]["il_return_pearson"], 1) and near(rows[2]["rl_return_pearson"], -1)
PY

# ---- JSON ----
run_expect 0 "$COMPARE" --json inverted.nc 'odd "name",x.nc' constant.nc partial.nc return.nc
"$PYTHON" -m json.tool "$OUT_FILE" >/dev/null || fail "json: not valid JSON"
"$PYTHON" - "$OUT_FILE" <<'PY' || fail "json content"
import json, sys
rows = json.load(open(sys.argv[1]))
near = lambda number, value: abs(number - value) < 1e-9
keys = {"file", "pearson", "spearman", "il_argmin", "rl_argmin", "minima_distance",
        "gradient_cosine", "nrmsd", "verdict"}
assert len(rows) == 5
for row in rows[:4]:
    assert set(row) == keys, row.keys()
assert set(rows[4]) == keys | {"il_return_pearson", "rl_return_pearson"}
inverted, odd, constant, partial, ret = rows
assert near(inverted["pearson"], -1) and near(inverted["nrmsd"], 1) and inverted["verdict"] == "inverted"
assert inverted["rl_argmin"] == [-1, 1] and near(inverted["gradient_cosine"], -0.875)
assert odd["file"] == 'odd "name",x.nc' and odd["verdict"] == "aligned"
assert constant["pearson"] is None and constant["spearman"] is None
assert constant["nrmsd"] is None and constant["verdict"] == "unrelated"
assert near(partial["pearson"], 1) and near(partial["il_argmin"][0], 0.2), partial
assert near(ret["il_return_pearson"], 1) and near(ret["rl_return_pearson"], -1)
PY

# ---- help and version ----
run_expect 0 "$COMPARE" --help
grep -q 'inverted if pearson <= -0.5' "$OUT_FILE" || fail "--help lacks the thresholds"
run_expect 0 "$COMPARE" --version
grep -q '^ilrl-compare (ilrl-landscape)' "$OUT_FILE" || fail "--version"

# ---- exit codes: 2 usage, 3 bad input, one line naming the file ----
run_expect 2 "$COMPARE"
assert_one_line_stderr
run_expect 2 "$COMPARE" --no-such-option aligned.nc
assert_one_line_stderr
assert_stderr 'no-such-option'
run_expect 3 "$COMPARE" aligned.nc demo.nc
assert_one_line_stderr
assert_stderr '^ilrl-compare: demo\.nc: .*demonstration'
[ -s "$OUT_FILE" ] && fail "no table may be printed when a file is bad"
printf 'not a netcdf file\n' >garbage.nc
run_expect 3 "$COMPARE" --json garbage.nc
assert_one_line_stderr
assert_stderr '^ilrl-compare: garbage\.nc: '
run_expect 3 "$COMPARE" missing.nc
assert_one_line_stderr
assert_stderr 'missing\.nc'
exit 0
