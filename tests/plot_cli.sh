# plot_cli.sh -- ilrl-plot draws PNGs of the documented pixel size for one
# file and for a panel, and fails cleanly on bad input.
. "$top_srcdir/tests/lib.sh"
MAKE_LANDSCAPE="$top_builddir/tests/make-landscape"
PLOT="$BIN/ilrl-plot"
PYTHON=${PYTHON:-python3}

"$PYTHON" -c 'import matplotlib, netCDF4' 2>/dev/null || {
    echo "SKIP: python3 matplotlib/netCDF4 not installed" >&2; exit 77; }

cd "$WORK" || fail "no scratch dir"
for shape in inverted partial return demo; do
    "$MAKE_LANDSCAPE" "$shape" "$shape.nc" || fail "make-landscape $shape"
done

# png_size FILE: prints "WIDTH HEIGHT" after checking the PNG signature.
png_size() {
    "$PYTHON" - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read(24)
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
assert data[12:16] == b"IHDR", "no IHDR"
print(*struct.unpack(">II", data[16:24]))
PY
}

# Sizes (ilrl-plot --help): 5 in per column, 4.2 in per row + 0.6 in.
run_expect 0 "$PLOT" inverted.nc -o one.png --dpi 40
[ "$(png_size one.png)" = "400 192" ] || fail "one file: size $(png_size one.png), expected 400 192"
run_expect 0 "$PLOT" return.nc -o three.png --dpi 40 --log --contours 3
[ "$(png_size three.png)" = "600 192" ] || fail "with return: size $(png_size three.png)"
run_expect 0 "$PLOT" --panel inverted.nc partial.nc -o reference.png --dpi 40
[ "$(png_size reference.png)" = "400 360" ] || fail "panel: size $(png_size reference.png)"
run_expect 0 "$PLOT" --panel inverted.nc return.nc -o reference.svg --contours 0
grep -q '<svg' reference.svg || fail "svg output"

# Bad input: exit 3, one line naming the file, no picture.
run_expect 3 "$PLOT" demo.nc -o demo.png
assert_one_line_stderr
assert_stderr '^ilrl-plot: demo\.nc: not a landscape file'
[ -e demo.png ] && fail "a picture was written for a bad file"
printf 'garbage\n' >garbage.nc
run_expect 3 "$PLOT" --panel inverted.nc garbage.nc -o panel.png
assert_one_line_stderr
assert_stderr 'garbage\.nc'

# Bad usage: exit 2.
run_expect 2 "$PLOT"
run_expect 2 "$PLOT" inverted.nc -o picture.jpg
run_expect 2 "$PLOT" inverted.nc --contours -1
run_expect 0 "$PLOT" --help
run_expect 0 "$PLOT" --version
grep -Eq '^ilrl-plot \(ilrl-landscape\) [0-9]' "$OUT_FILE" || fail "--version"

# Output problem: exit 4.
run_expect 4 "$PLOT" inverted.nc -o no-such-dir/picture.png --dpi 20
assert_one_line_stderr
exit 0
