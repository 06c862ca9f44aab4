"""py_landscape.py -- ilrl.landscape against the C programs.

1. compare(open_landscape(F)) equals the C library's ilrl_compare_landscape
   (tests/compare_probe, 17 digits) to 1e-12 and ilrl-compare --json to its
   10 printed digits, key for key, on synthetic files (every shape of
   tests/make-landscape, return surface included), a real ilrl-landscape
   run with --objectives il,rl,td,cql,return, and edited files (holes,
   a third computed, losses scaled by 1e300).
2. open_landscape: plane coordinates, attributes, fill values as NaN;
   refusals (not a landscape, not NetCDF, a FIFO, a missing variable) with
   one-line messages naming the file.
3. The training path: a real landscape plus path arrays in the fixed
   schema (written here with netCDF4) is drawn on every panel with its
   legend; with checkpoints more than 10% off the plane a line of text
   under the title says so (read back from the figure's text objects); the
   trajectory plane's explained variance names the axes; ilrl-plot draws
   the file at the same pixel size as without a path.  The PNGs are kept
   in the scratch directory (path.png, offplane.png) for a look.

4. A real path: ilrl-train (IL then RL, checkpoints every 2 rows), its
   trajectory plane with ilrl-landscape: open_landscape reads the path,
   compare() still equals the C library, the figure draws every
   checkpoint, and the off-plane line counts the file's own residuals.

argv: ilrl-compare, compare_probe, make-landscape, ilrl-demo,
ilrl-landscape, ilrl-plot, the MPI launcher, ilrl-train; cwd a scratch
directory.
"""

import json
import math
import os
import shutil
import struct
import sys

import netCDF4
import numpy as np

from ilrl import landscape as L
from pycheck import check, finish, run

COMPARE, PROBE, MAKE, DEMO, LANDSCAPE, PLOT, MPIRUN, TRAIN = sys.argv[1:9]


def edit(source, target, statements):
    shutil.copy(source, target)
    with netCDF4.Dataset(target, "a") as d:
        il = np.ma.filled(d["il_loss"][:], np.nan).astype(float)
        rl = np.ma.filled(d["rl_loss"][:], np.nan).astype(float)
        computed = np.asarray(d["computed"][:])
        exec(statements)
        d["il_loss"][:], d["rl_loss"][:], d["computed"][:] = il, rl, computed


# ---- files -------------------------------------------------------------------
for shape in ("inverted", "aligned", "constant", "partial", "return", "demo"):
    run(MAKE, shape, f"{shape}.nc")
run(DEMO, "--pilot", "poor", "--episodes", "2", "--max-steps", "200", "--seed", "3",
    "--quiet", "--out", "flappy.nc")
run(*MPIRUN.split(), "-n", "2", LANDSCAPE, "--demo", "flappy.nc", "--nx", "7", "--ny", "5",
    "--objectives", "il,rl,td,cql,return", "--rollouts", "2", "--rollout-steps", "60",
    "--quiet", "--out", "real.nc")
run(*MPIRUN.split(), "-n", "1", LANDSCAPE, "--demo", "flappy.nc", "--nx", "9", "--ny", "9",
    "--objectives", "il,rl,td", "--plane", "random:4", "--quiet", "--out", "td.nc")
edit("inverted.nc", "holes.nc", "rl[2, 3] = np.inf; il[5, 7] = np.nan")
edit("aligned.nc", "third.nc",
     "computed.flat[125:] = 0; il.flat[125:] = np.nan; rl.flat[125:] = np.nan")
edit("return.nc", "huge.nc", "il *= 1e300; rl *= 1e300")
edit("real.nc", "ties.nc", "il = np.round(il, 1); rl = np.round(rl, 1)")
FILES = ["inverted", "aligned", "constant", "partial", "return", "real", "td", "holes",
         "third", "huge", "ties"]


# ---- 1. the numbers -------------------------------------------------------------
def probe(path):
    values = {}
    for line in run(PROBE, path).stdout.splitlines():
        key, value = line.split(" ", 1)
        values[key] = value if key == "verdict" else float(value)
    return values


def close(a, b, tolerance):
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance * max(1.0, abs(b))


checked = 0
for name in FILES:
    path = f"{name}.nc"
    mine = L.compare(L.open_landscape(path))
    c = probe(path)
    flat = dict(mine)
    for key in ("il_argmin", "rl_argmin", "first_nonfinite"):
        point = flat.pop(key)
        flat[key + "_x"], flat[key + "_y"] = point if point else (math.nan, math.nan)
    check(set(flat) == set(c), f"{name}: keys {sorted(set(flat) ^ set(c))} differ from the C library's")
    for key, value in c.items():
        if key == "verdict":
            check(flat.get(key) == value, f"{name}: verdict {flat.get(key)} != C {value}")
        elif key in flat:
            check(close(float(flat[key]), value, 1e-12),
                  f"{name}: {key} = {flat[key]!r}, C library {value!r}")
            checked += 1
    rows = json.loads(run(COMPARE, "--json", path).stdout)
    row = rows[0]
    json_keys = set(row) - {"file"}
    mine_keys = set(mine) - {"n_points", "n_grid", "n_computed", "first_nonfinite"}
    check(json_keys == mine_keys, f"{name}: ilrl-compare --json keys differ: "
                                  f"{sorted(json_keys ^ mine_keys)}")
    for key in json_keys & mine_keys:
        theirs, ours = row[key], mine[key]
        if key == "verdict":
            check(theirs == ours, f"{name}: verdict {ours} != ilrl-compare {theirs}")
        elif key.endswith("argmin"):
            check((theirs is None) == (ours is None) and
                  (theirs is None or all(close(o, t, 1e-9) for o, t in zip(ours, theirs))),
                  f"{name}: {key} {ours} != ilrl-compare {theirs}")
        else:
            ours = math.nan if ours is None else float(ours)
            theirs = math.nan if theirs is None else float(theirs)
            check(close(ours, theirs, 1e-9), f"{name}: {key} {ours!r} != ilrl-compare {theirs!r}")
print(f"compare: {len(FILES)} files, {checked} numbers equal to the C library's to 1e-12")
real = L.compare(L.open_landscape("real.nc"))
for key in ("il_return_pearson", "il_td_pearson", "il_cql_pearson", "cql_return_pearson"):
    check(key in real and math.isfinite(real[key]), f"real.nc: {key} missing or undefined")
check(math.isnan(L.compare(L.open_landscape("constant.nc"))["pearson"]),
      "constant.nc: r of a constant surface is not NaN")
check(abs(L.pearson([1e-300, 2e-300, 4e-300], [3.0, 5.0, 9.0]) - 1.0) < 1e-15,
      "pearson is not scale-invariant at 1e-300")

# ---- 2. reading ---------------------------------------------------------------
ds = L.open_landscape("partial.nc")
check(ds["x"].dims == ("x",) and ds.sizes["x"] == 21 and ds.sizes["y"] == 17,
      f"partial.nc: plane coordinates {dict(ds.sizes)}")
check(abs(float(ds["x"][0]) + 1.0) < 1e-15 and abs(float(ds["y"][-1]) - 1.0) < 1e-15,
      "partial.nc: x, y do not span [-1, 1]")
pending = ds["computed"].values != 1
check(pending.any() and np.isnan(ds["il_loss"].values[pending]).all(),
      "partial.nc: points not computed are not NaN")
check(ds.attrs.get("ilrl_file_kind") == "landscape" and "plane" in ds.attrs,
      "partial.nc: attributes missing")
real = L.open_landscape("real.nc")
check(real["theta0"].dims == ("param",) and real["theta0"].size == 5122
      and np.isfinite(real["theta0"].values).all(), "real.nc: theta0 not read")


def refused(path, pattern):
    try:
        L.open_landscape(path)
    except L.LandscapeError as error:
        text = str(error)
        check(text.startswith(path + ": ") and pattern in text and "\n" not in text,
              f"{path}: message {text!r} lacks {pattern!r}")
        check(error.status == 3, f"{path}: status {error.status}, expected 3")
        return
    check(False, f"{path}: accepted")


refused("demo.nc", 'not a landscape file (ilrl_file_kind = "demonstration")')
with open("garbage.nc", "w") as stream:
    stream.write("garbage\n")
refused("garbage.nc", "not a readable NetCDF file")
os.mkfifo("fifo.nc")
refused("fifo.nc", "not a regular file (a FIFO)")
refused("missing.nc", "cannot read")
shutil.copy("inverted.nc", "norl.nc")
with netCDF4.Dataset("norl.nc", "a") as d:
    d.renameVariable("rl_loss", "rl_other")
refused("norl.nc", "variable 'rl_loss' missing")


# ---- 3. the training path --------------------------------------------------------
def add_path(source, target, x, y, residual, phase, explained=None):
    """The path arrays of the fixed schema, written into a copy of source."""
    shutil.copy(source, target)
    k = len(x)
    with netCDF4.Dataset(target, "a") as d:
        d.createDimension("checkpoint", k)
        for name, values in (("path_x", x), ("path_y", y), ("path_residual", residual),
                             ("path_il_loss", np.linspace(0.7, 0.3, k)),
                             ("path_rl_loss", np.linspace(-0.2, -0.6, k)),
                             ("path_td_loss", np.linspace(2.0, 1.0, k))):
            d.createVariable(name, "f8", ("checkpoint",))[:] = np.asarray(values, float)
        d.createVariable("path_phase", "i4", ("checkpoint",))[:] = np.asarray(phase)
        d.createVariable("path_env_steps", "i8", ("checkpoint",))[:] = np.arange(k) * 1000
        d.createVariable("path_update", "i8", ("checkpoint",))[:] = np.arange(k) * 10
        d.path_file = "run.traj.nc"
        d.path_phase = "il,rl"
        if explained is not None:
            d.explained_variance = np.asarray(explained, float)


xs = [0.0, -1.5, -3.0, -4.0, -3.0, 0.5, 3.0, 6.0]
ys = [0.0, -1.0, -3.0, -5.0, -6.0, -7.0, -6.5, -6.0]
phases = [0, 0, 0, 0, 1, 1, 1, 1]
add_path("real.nc", "path.nc", xs, ys, [math.nan] + [0.02] * 7, phases)
add_path("real.nc", "offplane.nc", xs, ys, [math.nan, 0.02, 0.05, 0.3, 0.5, 0.08, 0.4, 0.11],
         phases, explained=[0.8125, 0.125])

near = L.open_landscape("path.nc")
check(L.has_path(near) and near.sizes["checkpoint"] == 8, "path.nc: path not read")
check(near["path_env_steps"].dtype == np.int64, "path_env_steps is not int64")
check(L.path_warning(near) is None, f"path.nc: warning {L.path_warning(near)!r} for an on-plane path")
figure = L.make_figure([near], contours=5, dpi=40)
texts = L.figure_texts(figure)
for label in ("start", "end", "IL \u2192 RL", "IL checkpoints", "RL checkpoints"):
    check(label in texts, f"path.nc: legend has no {label!r}: {texts}")
check(not any("off this plane" in t for t in texts), "path.nc: an off-plane line was drawn")
diamonds = [(line.get_xdata()[0], line.get_ydata()[0]) for axes in figure.axes
            for line in axes.get_lines() if line.get_marker() == "D"]
check(diamonds and all(d == (xs[3], ys[3]) for d in diamonds),
      f"path.nc: the IL -> RL mark is at {diamonds}, not at the last IL checkpoint "
      f"{(xs[3], ys[3])}")
panels = [axes for axes in figure.axes if axes.get_label() != "<colorbar>"
          and axes.collections]
lines_per_panel = [sum(1 for line in axes.get_lines() if len(line.get_xdata()) == 2)
                   for axes in panels]
check(len(panels) == 5 and all(n == 7 for n in lines_per_panel),
      f"path.nc: {len(panels)} panels, path segments per panel {lines_per_panel} "
      f"(expected 7 on each of IL, RL, TD, CQL, return)")

off = L.open_landscape("offplane.nc")
expected = ("4 of 8 checkpoints lie >10% off this plane: the contours under them "
            "are not their losses")
check(L.path_warning(off) == expected, f"offplane.nc: warning {L.path_warning(off)!r}")
figure = L.make_figure([off], contours=5, dpi=40)
notes = [t for t in L.figure_texts(figure) if "off this plane" in t]
check(len(notes) == 1 and notes[0].splitlines()[-1] == "\u26a0 " + expected,
      f"offplane.nc: off-plane note {notes} (expected it under the title)")
figure = L.make_figure([near, off], contours=0, dpi=40)
notes = [t for t in L.figure_texts(figure) if "off this plane" in t]
check(len(notes) == 1 and notes[0].splitlines()[1:] == ["\u26a0 offplane.nc: " + expected],
      f"panel: off-plane note {notes} (expected one line naming offplane.nc)")
check(any("(>10% off the plane)" in t for t in L.figure_texts(figure)),
      "offplane.nc: the legend does not name the hollow off-plane checkpoints")
xlabel, ylabel = L.axis_labels(off)
check("81% of the path's variance" in xlabel and "12% of the path's variance" in ylabel,
      f"offplane.nc: axes {xlabel!r}, {ylabel!r}")
check("path run.traj.nc" in figure._suptitle.get_text(), "the title does not name the path file")


def png_size(path):
    with open(path, "rb") as stream:
        data = stream.read(24)
    check(data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG")
    return struct.unpack(">II", data[16:24])


for name in ("real", "path", "offplane"):
    run(PLOT, f"{name}.nc", "-o", f"{name}.png", "--dpi", "60")
check(png_size("path.png") == png_size("real.png") == png_size("offplane.png") == (1500, 288),
      f"sizes {png_size('real.png')}, {png_size('path.png')}, {png_size('offplane.png')}")
run(PLOT, "--panel", "offplane.nc", "inverted.nc", "-o", "panel.png", "--dpi", "40")

# ---- 4. a real path ---------------------------------------------------------------
run(*MPIRUN.split(), "-n", "2", TRAIN, "--demo", "flappy.nc", "--layers", "12,8,2",
    "--il-epochs", "10", "--rl-steps", "1500", "--batch-episodes", "4", "--rollout-steps", "150",
    "--save-every", "2", "--eval-episodes", "0", "--quiet", "--out", "traj.nc")
run(*MPIRUN.split(), "-n", "2", LANDSCAPE, "--demo", "flappy.nc", "--plane", "trajectory:traj.nc",
    "--nx", "9", "--ny", "7", "--quiet", "--out", "trajplane.nc")
traj = L.open_landscape("trajplane.nc")
k = traj.sizes.get("checkpoint", 0)
phases = set(np.asarray(traj["path_phase"].values).tolist()) if L.has_path(traj) else set()
check(L.has_path(traj) and k >= 3 and phases == {0, 1},
      f"trajplane.nc: path of {k} checkpoints, phases {phases}")
mine, c = L.compare(traj), probe("trajplane.nc")
check(all(close(float(mine[key]), c[key], 1e-12) for key in ("pearson", "spearman", "nrmsd")),
      "trajplane.nc: compare() differs from the C library")
residual = np.asarray(traj["path_residual"].values)
off = int((residual > L.OFF_PLANE_RESIDUAL).sum())
figure = L.make_figure([traj], contours=5, dpi=40)
texts = L.figure_texts(figure)
check(("IL \u2192 RL" in texts) and ("start" in texts) and ("end" in texts),
      f"trajplane.nc: legend {texts}")
notes = [t for t in texts if "off this plane" in t]
if off:
    check(len(notes) == 1 and f"{off} of {k} checkpoints lie >10% off this plane" in notes[0],
          f"trajplane.nc: {off} residuals > 0.1, notes {notes}")
else:
    check(not notes, f"trajplane.nc: no residual > 0.1, yet {notes}")
drawn = sum(len(line.get_xdata()) for line in figure.axes[0].get_lines()
            if line.get_linestyle() == "None" and line.get_label().endswith(
                ("checkpoints", "plane)")))
check(drawn == k, f"trajplane.nc: {drawn} checkpoints drawn on the first panel, the file has {k}")
check("of the path's variance" in L.axis_labels(traj)[0], "trajplane.nc: axes lack the variance")
run(PLOT, "trajplane.nc", "-o", "trajplane.png", "--dpi", "60")
print(f"real path: {k} checkpoints, {off} more than 10% off the trajectory plane")

finish("py_landscape")
