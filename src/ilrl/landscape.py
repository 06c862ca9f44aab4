"""ilrl.landscape -- landscape files in Python: reading, ilrl-compare's
numbers, and the figures of ilrl-plot (docs/comparison.md,
docs/formats.md "Landscape file", docs/python.md).

  open_landscape(path)     -> xarray.Dataset: coordinates x, y (plane
                              units), the file's attributes, every variable;
                              fill values are NaN.  Refuses (InputError,
                              exit 3) what is not a regular file, not NetCDF,
                              not a landscape, or lacks the (y, x) surfaces.
  compare(ds)              -> dict of ilrl-compare's numbers, the keys of
                              `ilrl-compare --json` (points as (x, y)).
  pearson, spearman, nrmsd -> the statistics on two 1-D samples.
  make_figure(datasets)    -> the matplotlib Figure ilrl-plot saves.
  draw_surface, draw_path, path_warning, warnings: its parts.

The numbers are ilrl-compare's algorithms (src/compare.c), not NumPy's
library calls: each sample is brought to unit scale by a power of two (its
largest magnitude into [0.5, 1)), centred in two passes (Bjorck's
correction), then summed; Spearman is the Pearson r of mean ranks (GSL's
gsl_stats_spearman).  Only the summation order differs (NumPy sums
pairwise), which moves a result by a few units in the last place:
tests/py_landscape.py checks every number against the C library to 1e-12.

The training path.  A landscape file may carry the checkpoints of an
ilrl-train run projected on its plane (dimension `checkpoint`; `path_x`,
`path_y`, `path_residual`, `path_phase`, `path_il_loss`, ...).  Every panel
then draws it: IL checkpoints and segments in PATH_COLOURS[0], RL in
PATH_COLOURS[1], the start as a circle, the phase boundary (the last IL
checkpoint, theta_IL, where RL started: ilrl-train keeps it whenever an RL
phase follows) as a diamond, the end as a star, with a legend.  A checkpoint
whose `path_residual` (its distance from the plane relative to
||theta_k - theta0||) exceeds OFF_PLANE_RESIDUAL = 0.1 is drawn hollow and larger,
and a line of text under the figure's title says how many (one line per
file that has such points; the legend names the hollow markers on every
row): the surface under such a point is the loss of its projection, not
of the checkpoint.  Why 0.1: a
residual r means the checkpoint's offset from the plane is r times its
offset along it at least (r <= 1), so at 0.1 the in-plane part carries
99% of the squared distance from theta0; beyond, a reader would take the
colour under the point for the checkpoint's loss with an error that
grows like r^2 times the loss curvature, which nothing on the picture
bounds.
"""

import math
import os
import stat

from ilrl.errors import InputError

GRID_VARIABLES = ("il_loss", "rl_loss")
VALUE_VARIABLES = ("td_loss", "cql_loss")   # optional, drawn when present
RETURN_VARIABLE = "return_mean"
REQUIRED_VARIABLES = ("x", "y", "computed") + GRID_VARIABLES

INVERTED_R, ALIGNED_R, MIN_COMPLETE = -0.5, 0.5, 0.5   # include/ilrl/compare.h
OFF_PLANE_RESIDUAL = 0.1
PATH_COLOURS = ("#ff4d4d", "#4dd2ff")        # IL, RL: readable on viridis
PATH_PHASE_NAMES = ("IL", "RL")

COLUMN_TITLES = {"il_loss": "IL loss (behaviour cloning)",
                 "rl_loss": "RL loss (REINFORCE surrogate)",
                 "td_loss": "TD loss (outputs as Q-values)",
                 "cql_loss": "CQL loss (TD + alpha IL)",
                 RETURN_VARIABLE: "return (mean over rollouts)"}
COLOUR_LABELS = {"il_loss": "$L_{IL}$", "rl_loss": "$L_{RL}$",
                 "td_loss": "$L_{TD}$", "cql_loss": "$L_{CQL}$",
                 RETURN_VARIABLE: "mean discounted return"}


class LandscapeError(InputError):
    """A file that is not a readable landscape (exit 3)."""


# ---- reading ----------------------------------------------------------------

def file_type(mode):
    """What a file that is not regular is, for messages ("a FIFO", ...)."""
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_regular_file(path):
    """Refuses (LandscapeError) a path that is not a regular file before
    anything opens it (a FIFO would block the NetCDF reader); returns its
    os.stat result."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise LandscapeError(f"{path}: cannot read ({error.strerror or error})")
    if not stat.S_ISREG(info.st_mode):
        raise LandscapeError(f"{path}: not a regular file ({file_type(info.st_mode)})")
    return info


def open_landscape(path):
    """The landscape file `path` as an xarray.Dataset, loaded and closed.

    Coordinates x and y are the plane's; every variable of the file is
    there (il_loss, rl_loss, computed, theta0, ..., path_* when the file
    carries a training path), fill values decoded to NaN; the global
    attributes are ds.attrs.  ds.encoding["source"] is `path`."""
    import netCDF4
    import numpy
    import xarray

    check_regular_file(path)
    try:
        handle = netCDF4.Dataset(path, "r")
    except (OSError, RuntimeError, ValueError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise LandscapeError(f"{path}: not a readable NetCDF file ({reason})")
    try:
        kind = getattr(handle, "ilrl_file_kind", None)
        if kind != "landscape":
            detail = (f'ilrl_file_kind = "{kind}"' if kind is not None
                      else "no ilrl_file_kind attribute")
            raise LandscapeError(f"{path}: not a landscape file ({detail})")
        for name in REQUIRED_VARIABLES:
            if name not in handle.variables:
                raise LandscapeError(f"{path}: variable '{name}' missing")
        store = xarray.backends.NetCDF4DataStore(handle)
        ds = xarray.open_dataset(store, decode_times=False).load()
    except LandscapeError:
        raise
    except (OSError, RuntimeError, ValueError, KeyError, IndexError,
            AttributeError, TypeError) as error:
        raise LandscapeError(f"{path}: unreadable landscape ({error})")
    finally:
        handle.close()
    shape = (ds.sizes.get("y", -1), ds.sizes.get("x", -1))
    names = GRID_VARIABLES + ("computed",) + tuple(
        name for name in VALUE_VARIABLES + (RETURN_VARIABLE,) if name in ds)
    for name in names:
        if ds[name].dims != ("y", "x"):
            raise LandscapeError(f"{path}: variable '{name}' must be (y, x) = {shape}")
    for name in ("x", "y"):
        if not numpy.all(numpy.isfinite(ds[name].values)):
            raise LandscapeError(f"{path}: coordinate '{name}' holds fill or "
                                 f"non-finite values")
    ds.encoding["source"] = path
    return ds


def source(ds):
    """The file a dataset came from ("" if unknown)."""
    return ds.encoding.get("source", "")


# ---- ilrl-compare's numbers -------------------------------------------------

def _exponent(values):
    """frexp exponent of the largest finite magnitude (0 if none)."""
    import numpy
    finite = numpy.abs(values[numpy.isfinite(values)])
    largest = float(finite.max()) if finite.size else 0.0
    return math.frexp(largest)[1] if largest > 0.0 else 0


def _deviations(values):
    """values scaled by a power of two and centred (corrected two-pass)."""
    import numpy
    scaled = numpy.ldexp(values, -_exponent(values))
    mean = scaled.sum() / scaled.size
    mean += (scaled - mean).sum() / scaled.size
    return scaled - mean


def _constant(values):
    return bool((values == values[0]).all())


def pearson(a, b):
    """Pearson r of two equally long 1-D samples of finite numbers, NaN if
    undefined (fewer than 2 values, or one sample constant); in [-1, 1]."""
    import numpy
    a, b = numpy.asarray(a, dtype=float), numpy.asarray(b, dtype=float)
    if a.size < 2 or _constant(a) or _constant(b):
        return math.nan
    da, db = _deviations(a), _deviations(b)
    saa, sbb, sab = (da * da).sum(), (db * db).sum(), (da * db).sum()
    if not (saa > 0.0 and sbb > 0.0):
        return math.nan
    return float(min(1.0, max(-1.0, sab / (math.sqrt(saa) * math.sqrt(sbb)))))


def _ranks(values):
    """1-based ranks, tied values sharing their mean rank."""
    import numpy
    order = numpy.argsort(values, kind="stable")
    ordered = values[order]
    ranks = numpy.empty(values.size)
    start = 0
    while start < values.size:
        end = start
        while end + 1 < values.size and ordered[end + 1] == ordered[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def spearman(a, b):
    """Spearman rho (Pearson r of mean ranks), NaN if undefined."""
    import numpy
    a, b = numpy.asarray(a, dtype=float), numpy.asarray(b, dtype=float)
    if a.size < 2 or _constant(a) or _constant(b):
        return math.nan
    return pearson(_ranks(a), _ranks(b))


def nrmsd(a, b):
    """sqrt(mean((z_a - z_b)^2)) / 2 of the z-scored samples (population
    standard deviation), NaN if undefined."""
    import numpy
    a, b = numpy.asarray(a, dtype=float), numpy.asarray(b, dtype=float)
    if a.size < 2 or _constant(a) or _constant(b):
        return math.nan
    da, db = _deviations(a), _deviations(b)
    sd_a, sd_b = math.sqrt((da * da).sum() / a.size), math.sqrt((db * db).sum() / b.size)
    if not (sd_a > 0.0 and sd_b > 0.0):
        return math.nan
    difference = da / sd_a - db / sd_b
    return math.sqrt((difference * difference).sum() / a.size) / 2.0


def verdict(r, complete_fraction=1.0):
    """ilrl-compare's verdict on r (include/ilrl/compare.h)."""
    if complete_fraction < MIN_COMPLETE:
        return "incomplete"
    if r <= INVERTED_R:
        return "inverted"
    if r >= ALIGNED_R:
        return "aligned"
    return "unrelated"


def _surface(ds, name):
    import numpy
    return numpy.asarray(ds[name].values, dtype=float).ravel()


def compare(ds):
    """ilrl-compare's numbers for one landscape (docs/comparison.md).

    Returns a dict with the keys of `ilrl-compare --json` -- pearson,
    spearman, il_argmin and rl_argmin ((x, y) or None), minima_distance,
    gradient_cosine, nrmsd, verdict, complete_fraction, nonfinite_points,
    and il_return_pearson / rl_return_pearson with a return surface,
    il_td_pearson, rl_td_pearson (td_return_pearson) with td_loss,
    il_cql_pearson (cql_return_pearson) with cql_loss -- plus n_points,
    n_grid, n_computed and first_nonfinite ((x, y) or None).  Undefined
    statistics are NaN; nothing here raises on such data."""
    import numpy
    x = numpy.asarray(ds["x"].values, dtype=float)
    y = numpy.asarray(ds["y"].values, dtype=float)
    nx, ny = x.size, y.size
    il, rl = _surface(ds, "il_loss"), _surface(ds, "rl_loss")
    computed = numpy.asarray(ds["computed"].values).ravel() == 1
    finite = numpy.isfinite(il) & numpy.isfinite(rl)
    used = computed & finite
    points = numpy.flatnonzero(used)
    bad = numpy.flatnonzero(computed & ~finite)
    c = {"n_points": int(points.size), "n_grid": nx * ny,
         "n_computed": int(computed.sum()), "nonfinite_points": int(bad.size),
         "first_nonfinite": ((float(x[bad[0] % nx]), float(y[bad[0] // nx]))
                             if bad.size else None)}
    c["complete_fraction"] = c["n_computed"] / c["n_grid"]
    a, b = il[points], rl[points]
    c["pearson"], c["spearman"], c["nrmsd"] = pearson(a, b), spearman(a, b), nrmsd(a, b)
    for key, values in (("il_argmin", a), ("rl_argmin", b)):
        k = points[int(numpy.argmin(values))] if values.size else None
        c[key] = None if k is None else (float(x[k % nx]), float(y[k // nx]))
    c["minima_distance"] = (math.hypot(c["il_argmin"][0] - c["rl_argmin"][0],
                                       c["il_argmin"][1] - c["rl_argmin"][1])
                            if points.size else math.nan)
    c["gradient_cosine"] = float(ds.attrs.get("gradient_cosine", math.nan))
    c["verdict"] = verdict(c["pearson"], c["complete_fraction"])

    def used_pearson(first, sign, second):
        keep = used & numpy.isfinite(first) & numpy.isfinite(second)
        return pearson(sign * first[keep], second[keep])

    has_return = RETURN_VARIABLE in ds
    returns = _surface(ds, RETURN_VARIABLE) if has_return else None
    if has_return:
        c["il_return_pearson"] = used_pearson(il, -1.0, returns)
        c["rl_return_pearson"] = used_pearson(rl, -1.0, returns)
    if "td_loss" in ds:
        td = _surface(ds, "td_loss")
        c["il_td_pearson"] = used_pearson(il, 1.0, td)
        c["rl_td_pearson"] = used_pearson(rl, 1.0, td)
        if has_return:
            c["td_return_pearson"] = used_pearson(td, -1.0, returns)
    if "cql_loss" in ds:
        cql = _surface(ds, "cql_loss")
        c["il_cql_pearson"] = used_pearson(il, 1.0, cql)
        if has_return:
            c["cql_return_pearson"] = used_pearson(cql, -1.0, returns)
    return c


# ---- what a picture cannot show -----------------------------------------------

def warnings(ds):
    """ilrl-plot's stderr lines for points drawn blank: not computed, or
    computed with a non-finite IL or RL loss."""
    c = compare(ds)
    name, lines = source(ds) or "landscape", []
    if c["n_computed"] < c["n_grid"]:
        percent = math.floor(1000.0 * c["complete_fraction"]) / 10.0
        lines.append(f"{name}: incomplete, {percent:.1f}% of the grid computed "
                     f"({c['n_computed']} of {c['n_grid']} points): the rest is blank")
    count = c["nonfinite_points"]
    if count:
        fx, fy = c["first_nonfinite"]
        lines.append(f"{name}: {count} computed point{'s' if count > 1 else ''} "
                     f"with non-finite losses, the first at (x, y) = "
                     f"({fx:.6g}, {fy:.6g}): drawn blank")
    return lines


def has_path(ds):
    return all(name in ds for name in ("path_x", "path_y", "path_phase"))


def path_warning(ds, threshold=OFF_PLANE_RESIDUAL):
    """The line every panel shows when checkpoints lie off the plane
    (path_residual > threshold), or None."""
    import numpy
    if not has_path(ds) or "path_residual" not in ds:
        return None
    residual = numpy.asarray(ds["path_residual"].values, dtype=float)
    off = int((residual > threshold).sum())
    if off == 0:
        return None
    return (f"{off} of {residual.size} checkpoints lie >{threshold:.0%} off this plane: "
            f"the contours under them are not their losses")


# ---- drawing ------------------------------------------------------------------

def _split_outside_brackets(text):
    """ "W3[0,0],b2[1]" -> ["W3[0,0]", "b2[1]"]: commas inside [] stay."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def attribute(ds, name, default=""):
    value = ds.attrs.get(name, default)
    return value if isinstance(value, str) else str(value)


def axis_labels(ds):
    """Axis names from the plane: weight names, gradient directions, the
    trajectory's principal directions (with their explained variance), or
    plain directions."""
    plane = attribute(ds, "plane")
    labels = ("direction x", "direction y")
    if plane.startswith("weights:"):
        names = _split_outside_brackets(plane[len("weights:"):])
        if len(names) == 2:
            labels = (f"offset of {names[0]}", f"offset of {names[1]}")
    elif plane == "gradients":
        labels = ("direction x (IL gradient)", "direction y (RL gradient, orthogonal part)")
    variance = ds.attrs.get("explained_variance")
    if variance is not None:
        try:
            ex, ey = (float(v) for v in list(variance)[:2])
            labels = (f"{labels[0]} ({ex:.0%} of the path's variance)",
                      f"{labels[1]} ({ey:.0%} of the path's variance)")
        except (TypeError, ValueError):
            pass
    return labels


def session_name(ds):
    """A short name for the demonstration: "poor", "strong.nc", ..."""
    demo = attribute(ds, "demo_file") or os.path.basename(source(ds))
    return demo.split(":", 1)[1] if demo.startswith("built-in:") else os.path.basename(demo)


def masked_surface(ds, name):
    """The (y, x) surface as a masked array: blank where not computed or
    not finite."""
    import numpy
    data = numpy.asarray(ds[name].values, dtype=float)
    computed = numpy.asarray(ds["computed"].values) == 1
    return numpy.ma.masked_where(~computed | ~numpy.isfinite(data), data)


def surface_pearson(ds, first="il_loss", second="rl_loss"):
    """r of two surfaces over the used points (computed, IL and RL finite)
    where both are finite: the numbers of the titles, ilrl-compare's."""
    import numpy
    a, b = _surface(ds, first), _surface(ds, second)
    keep = ((numpy.asarray(ds["computed"].values).ravel() == 1)
            & numpy.isfinite(_surface(ds, "il_loss")) & numpy.isfinite(_surface(ds, "rl_loss"))
            & numpy.isfinite(a) & numpy.isfinite(b))
    return pearson(a[keep], b[keep])


def _viridis():
    import matplotlib
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad(color="white", alpha=0.0)   # not computed: blank
    return cmap


def draw_surface(axes, ds, name, contours=10, log=False):
    """One heatmap with its contours, theta0's cross, axis names and colour
    bar on `axes`; returns the QuadMesh."""
    import numpy
    from matplotlib import colors
    surface = masked_surface(ds, name)
    x, y = ds["x"].values, ds["y"].values
    label, norm = COLOUR_LABELS.get(name, name), None
    if log and surface.count() > 0:
        low = float(surface.min())
        if low <= 0:
            spread = float(surface.max()) - low
            shift = -low + (spread * 1e-2 if spread > 0 else 1.0)
            surface = surface + shift
            label += f" + {shift:.3g} (log scale, shifted > 0)"
        else:
            label += " (log scale)"
        norm = colors.LogNorm(vmin=float(surface.min()), vmax=float(surface.max()))
    mesh = axes.pcolormesh(x, y, surface, cmap=_viridis(), norm=norm, shading="nearest")
    if contours > 0 and surface.count() > 3 and surface.min() < surface.max() \
            and x.size > 1 and y.size > 1:
        levels = contours
        if norm is not None:
            levels = numpy.geomspace(float(surface.min()), float(surface.max()),
                                     contours + 2)[1:-1]
        axes.contour(x, y, surface, levels=levels, colors="white", linewidths=0.6,
                     alpha=0.7, linestyles="solid")
    axes.plot([0.0], [0.0], marker="+", markersize=12, markeredgewidth=2,
              color="red", linestyle="none", label=r"$\theta_0$")
    xlabel, ylabel = axis_labels(ds)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.figure.colorbar(mesh, ax=axes, label=label)
    return mesh


def draw_path(axes, ds, threshold=OFF_PLANE_RESIDUAL):
    """The training path on `axes` (see the module's header); nothing if the
    file has none.  Returns path_warning(ds), the line make_figure adds
    under the figure's title, or None."""
    import numpy
    from matplotlib import patheffects
    if not has_path(ds):
        return None
    px = numpy.asarray(ds["path_x"].values, dtype=float)
    py = numpy.asarray(ds["path_y"].values, dtype=float)
    phase = numpy.asarray(ds["path_phase"].values).astype(int)
    residual = (numpy.asarray(ds["path_residual"].values, dtype=float)
                if "path_residual" in ds else numpy.zeros(px.size))
    shown = numpy.isfinite(px) & numpy.isfinite(py)
    outline = [patheffects.Stroke(linewidth=3.2, foreground="black"), patheffects.Normal()]
    for k in range(px.size - 1):   # segment k -> k+1 in the phase it ends in
        if shown[k] and shown[k + 1]:
            axes.plot(px[k:k + 2], py[k:k + 2], color=PATH_COLOURS[min(phase[k + 1], 1)],
                      linewidth=1.8, path_effects=outline, zorder=4)
    for which in (0, 1):
        for off in (False, True):
            keep = shown & (numpy.minimum(phase, 1) == which) & ((residual > threshold) == off)
            if not keep.any():
                continue
            label = (f"{PATH_PHASE_NAMES[which]} checkpoints"
                     + (f" (>{threshold:.0%} off the plane)" if off else ""))
            axes.plot(px[keep], py[keep], linestyle="none", marker="o",
                      markersize=7 if off else 4.5,
                      markerfacecolor="none" if off else PATH_COLOURS[which],
                      markeredgecolor=PATH_COLOURS[which] if off else "black",
                      markeredgewidth=1.8 if off else 0.6, label=label, zorder=5)
    indices = numpy.flatnonzero(shown)
    if indices.size:
        marks = [(indices[0], "o", "start", 10), (indices[-1], "*", "end", 15)]
        first_rl = numpy.flatnonzero(shown & (phase >= 1))
        if first_rl.size:   # theta_IL: the last IL checkpoint, where RL started
            il = numpy.flatnonzero(shown[:first_rl[0]] & (phase[:first_rl[0]] == 0))
            if il.size and il[-1] > indices[0]:
                marks.insert(1, (il[-1], "D", "IL \u2192 RL", 9))
        for k, marker, label, size in marks:
            axes.plot([px[k]], [py[k]], linestyle="none", marker=marker, markersize=size,
                      markerfacecolor="white", markeredgecolor="black",
                      markeredgewidth=1.2, label=label, zorder=6)
    return path_warning(ds, threshold)


def _value_title(ds, name):
    if name == "td_loss":
        return f"TD loss (target {attribute(ds, 'td_target') or '?'})"
    alpha = ds.attrs.get("cql_alpha")
    return f"CQL loss (TD + {alpha:g} IL)" if alpha is not None else COLUMN_TITLES[name]


def format_r(r):
    return "r undefined" if r != r else f"r = {r:+.3f}"


def make_figure(datasets, contours=10, log=False, dpi=100.0,
                column_inches=5.0, row_inches=4.2, title_inches=0.6):
    """ilrl-plot's figure: one row per dataset, columns IL, RL (then TD,
    CQL and the return when any file has them), the training path on every
    panel of a file that carries one.  Its size is column_inches per column
    by row_inches per row + title_inches, times dpi."""
    from matplotlib.figure import Figure   # no pyplot: no global state
    columns = list(GRID_VARIABLES)
    for name in VALUE_VARIABLES + (RETURN_VARIABLE,):
        if any(name in ds for ds in datasets):
            columns.append(name)
    rows = len(datasets)
    sessions = [session_name(ds) for ds in datasets]
    if len(set(sessions)) < len(sessions):   # same demo: name rows by file
        sessions = [os.path.basename(source(ds)) for ds in datasets]
    figure = Figure(figsize=(column_inches * len(columns), row_inches * rows + title_inches),
                    dpi=dpi, layout="constrained")
    grid = figure.subplots(rows, len(columns), squeeze=False)
    notes = []
    for row, ds in enumerate(datasets):
        r, note = surface_pearson(ds), None
        for column, name in enumerate(columns):
            axes = grid[row][column]
            if name not in ds:
                axes.set_axis_off()
                axes.set_title(f"{COLUMN_TITLES[name]}: not in this file")
                continue
            draw_surface(axes, ds, name, contours, log)
            note = draw_path(axes, ds)
            title = _value_title(ds, name) if name in VALUE_VARIABLES else COLUMN_TITLES[name]
            if rows > 1:
                title = f"{sessions[row]}: {title}"
            if column == 0:
                title += f"\n{format_r(r)} (IL vs RL)"
            elif name in VALUE_VARIABLES:
                short = "TD" if name == "td_loss" else "CQL"
                title += f"\n{format_r(surface_pearson(ds, 'il_loss', name))} (IL vs {short})"
            axes.set_title(title)
        grid[row][0].legend(loc="best", fontsize="x-small")
        if note is not None:
            notes.append(f"{sessions[row]}: {note}" if rows > 1 else note)
    first = datasets[0]
    if rows == 1:
        title = (f"plane {attribute(first, 'plane')} · demo {attribute(first, 'demo_file')}"
                 f" · rl_weight {attribute(first, 'rl_weight')} · {format_r(surface_pearson(first))}")
    else:
        title = (f"IL vs RL landscapes · plane {attribute(first, 'plane')}"
                 f" · rl_weight {attribute(first, 'rl_weight')}")
    if has_path(first) and attribute(first, "path_file"):
        title += f" · path {os.path.basename(attribute(first, 'path_file'))}"
    figure.suptitle("\n".join([title] + [f"\u26a0 {note}" for note in notes]))
    return figure


def figure_texts(figure):
    """Every string the figure shows (titles, labels, legend, notes)."""
    from matplotlib.text import Text
    return [text.get_text() for text in figure.findobj(Text) if text.get_text()]
