# compare_cli.sh -- ilrl-compare on synthetic landscapes written by the
# library's writer (tests/make-landscape): table, --csv, --json, exit codes;
# then on files edited with python3-netCDF4: scaled by 1e-300 .. 1e300,
# incomplete, without computed points, with non-finite losses; and on
# arguments that are not regular files (a FIFO must not hang it).
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
head -1 "$OUT_FILE" | grep -q '^file,pearson,spearman,il_argmin_x,il_argmin_y,rl_argmin_x,rl_argmin_y,minima_distance,gradient_cosine,nrmsd,verdict,complete_fraction,nonfinite_points,il_return_pearson,rl_return_pearson$' \
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
assert all(near(r["complete_fraction"], 1) and r["nonfinite_points"] == "0" for r in rows)
PY

# ---- JSON ----
run_expect 0 "$COMPARE" --json inverted.nc 'odd "name",x.nc' constant.nc partial.nc return.nc
# The incomplete file is said to be so, on one line of its own.
[ "$(wc -l <"$ERR_FILE")" -eq 1 ] || fail "json: expected one warning line"
assert_stderr '^ilrl-compare: warning: partial\.nc: incomplete, 47\.0% of the grid computed \(168 of 357 points\)'
assert_stderr 'no verdict is given below half the grid'
cp "$OUT_FILE" partial.json
"$PYTHON" -m json.tool partial.json >/dev/null || fail "json: not valid JSON"
"$PYTHON" - partial.json <<'PY' || fail "json content"
import json, sys
rows = json.load(open(sys.argv[1]))
near = lambda number, value: abs(number - value) < 1e-9
keys = {"file", "pearson", "spearman", "il_argmin", "rl_argmin", "minima_distance",
        "gradient_cosine", "nrmsd", "verdict", "complete_fraction", "nonfinite_points"}
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
# make-landscape's partial: 8 of 17 rows of 21 points, under half the grid.
assert near(partial["complete_fraction"], 8 * 21 / 357) and partial["verdict"] == "incomplete"
assert all(near(row["complete_fraction"], 1) for row in (inverted, odd, constant, ret))
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

# ---- not a regular file: refused at once (exit 3), never opened ----
# A FIFO nobody writes to would block a reader forever: hard timeout.
mkfifo pipe.nc || fail "mkfifo"
ILRL_CASE_TIMEOUT=10 run_expect 3 "$COMPARE" aligned.nc pipe.nc
assert_one_line_stderr
assert_stderr '^ilrl-compare: pipe\.nc: .*FIFO'
[ -s "$OUT_FILE" ] && fail "FIFO: no table may be printed"
mkdir directory.nc
ILRL_CASE_TIMEOUT=10 run_expect 3 "$COMPARE" directory.nc
assert_one_line_stderr
assert_stderr '^ilrl-compare: directory\.nc: .*directory'
ILRL_CASE_TIMEOUT=10 run_expect 3 "$COMPARE" --csv /dev/null
assert_one_line_stderr
assert_stderr '^ilrl-compare: /dev/null: .*device'
ln -s aligned.nc link.nc
run_expect 0 "$COMPARE" link.nc   # a symbolic link to a landscape is fine
grep -Eq '^link\.nc .* aligned' "$OUT_FILE" || fail "symbolic link"

# ---- edited files (python3-netCDF4 rewrites the arrays in place) ----
"$PYTHON" -c 'import netCDF4' 2>/dev/null || {
    echo "python3-netCDF4 missing: the edited-file cases are not run" >&2; exit 0; }
# edit IN OUT PYTHON-STATEMENTS: copies IN to OUT, runs the statements with
# il, rl, computed (numpy arrays, (y, x)) and writes them back.
edit() {
    cp "$1" "$2" || fail "cp $1"
    "$PYTHON" - "$2" "$3" <<'PY' || fail "edit $2"
import sys
import netCDF4, numpy
with netCDF4.Dataset(sys.argv[1], "a") as d:
    il = numpy.ma.filled(d["il_loss"][:], numpy.nan).astype(float)
    rl = numpy.ma.filled(d["rl_loss"][:], numpy.nan).astype(float)
    computed = numpy.asarray(d["computed"][:])
    exec(sys.argv[2])
    d["il_loss"][:], d["rl_loss"][:], d["computed"][:] = il, rl, computed
PY
}

# Scale invariance: the Pearson sums of these overflow or underflow
# unless the values are scaled first (1e160: "unrelated" once).
edit aligned.nc big.nc 'il *= 1e160; rl *= 1e160'
edit inverted.nc huge.nc 'il *= 1e300; rl *= 1e300'
edit inverted.nc tiny.nc 'il *= 1e-300; rl *= 1e-300'
edit inverted.nc mixed.nc 'il *= 1e-300; rl *= 1e300'
run_expect 0 "$COMPARE" --csv aligned.nc big.nc inverted.nc huge.nc tiny.nc mixed.nc
[ -s "$ERR_FILE" ] && fail "scaled: unexpected stderr"
"$PYTHON" - "$OUT_FILE" <<'PY' || fail "scaled files: statistics changed"
import csv, sys
rows = {r["file"]: r for r in csv.DictReader(open(sys.argv[1]))}
same = lambda a, b, tolerance=1e-9: abs(float(a) - float(b)) <= tolerance * max(1.0, abs(float(b)))
for scaled, plain in (("big.nc", "aligned.nc"), ("huge.nc", "inverted.nc"),
                      ("tiny.nc", "inverted.nc"), ("mixed.nc", "inverted.nc")):
    for key in ("pearson", "nrmsd", "il_argmin_x", "il_argmin_y",
                "rl_argmin_x", "rl_argmin_y", "minima_distance"):
        assert same(rows[scaled][key], rows[plain][key]), (scaled, key, rows[scaled][key], rows[plain][key])
    # Rounding x * 1e160 can merge values one ulp apart into a tie (or not):
    # the ranks themselves change a little, not by overflow.
    assert same(rows[scaled]["spearman"], rows[plain]["spearman"], 1e-5), scaled
    assert rows[scaled]["verdict"] == rows[plain]["verdict"], scaled
assert rows["big.nc"]["verdict"] == "aligned" and same(rows["big.nc"]["pearson"], 1)
assert rows["huge.nc"]["verdict"] == "inverted" and same(rows["huge.nc"]["pearson"], -1)
PY

# Completeness: 35 % (row-major, as a checkpoint's tiles) has no verdict,
# 60 % has one; both say how complete they are.
edit aligned.nc third.nc 'computed.flat[125:] = 0; il.flat[125:] = numpy.nan; rl.flat[125:] = numpy.nan'
edit aligned.nc most.nc 'computed.flat[215:] = 0; il.flat[215:] = numpy.nan; rl.flat[215:] = numpy.nan'
run_expect 0 "$COMPARE" third.nc most.nc
grep -Eq '^third\.nc .* incomplete +35\.0% +0$' "$OUT_FILE" || fail "35 %: table row"
grep -Eq '^most\.nc .* aligned +60\.2% +0$' "$OUT_FILE" || fail "60 %: table row"
[ "$(wc -l <"$ERR_FILE")" -eq 2 ] || fail "incomplete: expected two warning lines"
assert_stderr '^ilrl-compare: warning: third\.nc: incomplete, 35\.0% of the grid computed \(125 of 357 points\).*no verdict'
grep -q 'most\.nc: incomplete, 60\.2% of the grid computed (215 of 357 points): the statistics cover those points only$' "$ERR_FILE" \
    || fail "60 %: warning line"
run_expect 0 "$COMPARE" --json third.nc
"$PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1]))[0]; assert abs(r["complete_fraction"] - 125 / 357) < 1e-9 and r["verdict"] == "incomplete", r' "$OUT_FILE" \
    || fail "35 %: json"

# No computed point at all, or none with finite losses: exit 3, no table.
edit aligned.nc empty.nc 'computed[:] = 0; il[:] = numpy.nan; rl[:] = numpy.nan'
run_expect 3 "$COMPARE" aligned.nc empty.nc
assert_one_line_stderr
assert_stderr '^ilrl-compare: empty\.nc: no computed point'
[ -s "$OUT_FILE" ] && fail "no computed point: no table may be printed"
edit aligned.nc allnan.nc 'il[:] = numpy.nan'
run_expect 3 "$COMPARE" --json allnan.nc
assert_one_line_stderr
assert_stderr '^ilrl-compare: allnan\.nc: '
[ -s "$OUT_FILE" ] && fail "all NaN: no output may be printed"

# Non-finite losses at computed points: counted, the first one named, left out.
edit inverted.nc holes.nc 'rl[2, 3] = numpy.inf; il[5, 7] = numpy.nan; il[9, 1] = -numpy.inf'
run_expect 0 "$COMPARE" --csv holes.nc
assert_one_line_stderr
assert_stderr '^ilrl-compare: warning: holes\.nc: 3 computed points with non-finite losses, the first at \(x, y\) = \(-0\.7, -0\.75\): left out'
"$PYTHON" - "$OUT_FILE" <<'PY' || fail "non-finite: csv"
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
assert row["nonfinite_points"] == "3" and float(row["complete_fraction"]) == 1, row
assert abs(float(row["pearson"]) + 1) < 1e-9 and row["verdict"] == "inverted", row
PY
exit 0
