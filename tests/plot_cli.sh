# plot_cli.sh -- ilrl-plot draws PNGs of the documented pixel size for one
# file and for a panel, and fails cleanly on bad input: every refusal is
# one line with its exit status, leaves every file as it was (checksums
# before and after) and no temporary behind.
. "$top_srcdir/tests/lib.sh"
MAKE_LANDSCAPE="$top_builddir/tests/make-landscape"
PLOT="$BIN/ilrl-plot"
PYTHON=${PYTHON:-python3}

"$PYTHON" -c 'import matplotlib, netCDF4' 2>/dev/null || {
    echo "SKIP: python3 matplotlib/netCDF4 not installed" >&2; exit 77; }

cd "$WORK" || fail "no scratch dir"
for shape in inverted aligned partial return demo; do
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

# ---- refusals: status, one line, no traceback, nothing touched -------------
# Most cases end in well under a second: a hang fails after 30 s.
ILRL_CASE_TIMEOUT=30
no_temporaries() {
    leftovers=$(find . -name '.ilrl-plot-*' | head -3)
    [ -z "$leftovers" ] || fail "temporaries left behind: $leftovers"
}
# refuse CODE REGEX ARGS...: ilrl-plot ARGS exits CODE with one line matching
# REGEX, no traceback, every file in the directory unchanged.
refuse() {
    code=$1 pattern=$2; shift 2
    find . -type f ! -name stdout ! -name stderr ! -name before ! -name after \
        -exec cksum {} + | sort >before
    run_expect "$code" "$PLOT" "$@"
    assert_one_line_stderr
    assert_stderr "^ilrl-plot: .*$pattern"
    grep -q Traceback "$ERR_FILE" && fail "a traceback: $*"
    find . -type f ! -name stdout ! -name stderr ! -name before ! -name after \
        -exec cksum {} + | sort >after
    cmp -s before after || fail "files changed by a refused run: $*"
    no_temporaries
}

# An existing image: refused without --force, replaced with it.
refuse 4 'one\.png exists \(use --force' inverted.nc -o one.png --dpi 20
run_expect 0 "$PLOT" inverted.nc --dpi 20      # the default name, new
[ "$(png_size inverted.png)" = "200 96" ] || fail "default output name"
refuse 4 'inverted\.png exists' inverted.nc --dpi 20
run_expect 0 "$PLOT" inverted.nc -o one.png --dpi 20 --force
[ "$(png_size one.png)" = "200 96" ] || fail "--force did not replace one.png"
no_temporaries

# Never onto an input, even with --force: by name, hard link, symbolic link.
cp inverted.nc land.png
refuse 4 'land\.png: is the input land\.png' land.png --force --dpi 20
ln inverted.nc hard.png
refuse 4 'hard\.png: is the input inverted\.nc' inverted.nc -o hard.png --force
ln -s partial.nc soft.svg
refuse 4 'soft\.svg: is the input partial\.nc' --panel inverted.nc partial.nc -o soft.svg --force
[ -L soft.svg ] || fail "the symbolic link was replaced"

# --force replaces regular files only: FIFO, directory, device refused.
mkfifo fifo.png
refuse 4 'fifo\.png: exists and is a FIFO' inverted.nc -o fifo.png --force
[ -p fifo.png ] || fail "the FIFO was replaced"
mkdir folder.png
refuse 4 'folder\.png: exists and is a directory' inverted.nc -o folder.png --force
[ -d folder.png ] || fail "the directory was replaced"
ln -s /dev/null null.png
refuse 4 'null\.png: exists and is a character device' inverted.nc -o null.png --force
[ -c /dev/null ] || fail "/dev/null is no longer a device"
ln -s no-such-target dangling.png
refuse 4 'dangling\.png exists' inverted.nc -o dangling.png
[ -L dangling.png ] || fail "the dangling link was replaced"
long=$(printf 'x%.0s' $(seq 300))
refuse 4 "$long\.png: cannot write" inverted.nc -o "$long.png"

# Inputs that are not regular files: refused before they are opened.
mkfifo pipe.nc
refuse 3 'pipe\.nc: not a regular file \(a FIFO\)' pipe.nc -o pipe.png
mkdir dir.nc
refuse 3 'dir\.nc: not a regular file \(a directory\)' --panel inverted.nc dir.nc -o dir.png
refuse 3 'missing\.nc: cannot read' missing.nc -o missing.png
# A bad input is reported as such even when the output exists too.
refuse 3 'demo\.nc: not a landscape file' demo.nc -o one.png

# Impossible sizes and other bad values: exit 2, one line, no picture.
for dpi in 0 -5 9.99 601 1e9 inf nan abc ''; do
    refuse 2 "--dpi" inverted.nc -o size.png --dpi "$dpi"
done
[ -e size.png ] && fail "a picture for an impossible size"
refuse 2 '--contours 100000: must be in 0 \.\. 100' inverted.nc -o many.png --contours 100000
refuse 2 '--contours -1' inverted.nc -o many.png --contours -1
refuse 2 '--contours' inverted.nc -o many.png --contours 1e3
refuse 2 'not both' inverted.nc --panel inverted.nc partial.nc
refuse 2 'one landscape file' inverted.nc partial.nc
refuse 2 'must end in' inverted.nc -o picture.gif
refuse 2 'unrecognized arguments' inverted.nc --no-such-option
run_expect 0 "$PLOT" inverted.nc -o many.png --contours 100 --dpi 20 --force
[ "$(png_size many.png)" = "200 96" ] || fail "--contours 100 (the bound) is allowed"

# ---- what the picture cannot show: said on stderr; r at any magnitude ------
edit() {   # edit IN OUT STATEMENTS (il, rl, computed as numpy arrays)
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
edit inverted.nc third.nc 'computed.flat[125:] = 0; il.flat[125:] = numpy.nan; rl.flat[125:] = numpy.nan'
run_expect 0 "$PLOT" third.nc --dpi 20
assert_one_line_stderr
assert_stderr '^ilrl-plot: warning: third\.nc: incomplete, 35\.0% of the grid computed \(125 of 357 points\)'
edit inverted.nc holes.nc 'rl[2, 3] = numpy.inf; il[5, 7] = numpy.nan'
run_expect 0 "$PLOT" holes.nc --dpi 20
assert_one_line_stderr
assert_stderr '^ilrl-plot: warning: holes\.nc: 2 computed points with non-finite losses, the first at \(x, y\) = \(-0\.7, -0\.75\)'
edit inverted.nc huge.nc 'il *= 1e300; rl *= 1e300'
edit inverted.nc tiny.nc 'il *= 1e-300; rl *= 1e-300'
edit aligned.nc big.nc 'il *= 1e160; rl *= 1e160'
run_expect 0 "$PLOT" huge.nc --dpi 20 --log
[ -s "$ERR_FILE" ] && fail "huge.nc: unexpected stderr"
# The r of the titles, from the library the program draws with.
"$PYTHON" - "$PLOT" <<'PY' || fail "the title's r is not scale-invariant"
import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader("ilrl_plot", sys.argv[1])
spec = importlib.util.spec_from_loader("ilrl_plot", loader)
plot = importlib.util.module_from_spec(spec)
loader.exec_module(plot)
landscape = plot.load_libraries()
r = {name: landscape.surface_pearson(landscape.open_landscape(name + ".nc"))
     for name in ("inverted", "huge", "tiny", "aligned", "big")}
assert abs(r["inverted"] + 1) < 1e-12 and abs(r["aligned"] - 1) < 1e-12, r
for scaled, plain in (("huge", "inverted"), ("tiny", "inverted"), ("big", "aligned")):
    assert abs(r[scaled] - r[plain]) < 1e-12, r
PY

# A signal while drawing: the old image stays, no temporary remains.
"$MAKE_LANDSCAPE" return big.nc 401 401 || fail "make-landscape big"
cp one.png slow.png
old=$(cksum <slow.png)
timeout --preserve-status -k 30 -s TERM 1 "$PLOT" big.nc -o slow.png --force --dpi 600 --contours 100 --log \
    >"$OUT_FILE" 2>"$ERR_FILE"
got=$?
[ "$got" -eq 143 ] || fail "SIGTERM while drawing: exit $got, expected 143"
[ "$(cksum <slow.png)" = "$old" ] || fail "SIGTERM: the old image changed"
no_temporaries
exit 0
