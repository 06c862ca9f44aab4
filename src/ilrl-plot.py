#!/usr/bin/env python3
"""ilrl-plot -- heatmaps of IL and RL loss landscapes (docs/comparison.md,
docs/return-surface.md).

One file:  IL and RL side by side (then TD and CQL when the file has them,
           docs/value-objectives.md, and the rollout return when it has one), colour bars, axes in plane units, the base point theta0 at
           (0, 0) marked, a title from the file's metadata.
--panel POOR.nc STRONG.nc: the reference figure, one row per session,
           columns IL / RL (/ TD / CQL) (/ return), Pearson r of each row in
           its titles (TD and CQL: r with IL).

The figure is laid out on a fixed grid so its pixel size is known:
COLUMN_INCHES wide per column and ROW_INCHES high per row (plus TITLE_INCHES),
times --dpi.  Points not yet computed are left blank, and so are computed
points whose loss is not finite; a warning line on stderr says how many of
each there are.  The Pearson r in the titles is scale-invariant (the
surfaces are brought to unit scale by a power of two first).

Bounds (exit 2 outside them, checked before any file is read):
  --dpi in [MIN_DPI, MAX_DPI]: the largest figure (a panel with TD, CQL and
  return surfaces, 25 x 9 in) is then at most 15000 x 5400 pixels, about
  320 MB of RGBA while it is drawn; --contours in [0, MAX_CONTOURS]: each level is a
  pass of the contour tracer over every panel, and 10^5 levels took hours.

The output (docs/exit-status.md):
  - an existing output is refused (exit 4) unless --force; with --force
    only a regular file (or a symbolic link to one, which is replaced by the
    new file, its target untouched) is replaced: a directory, FIFO, device
    or socket at the name is refused, as is any name that is one of the
    input files (even with --force, also through links);
  - the image is drawn into a temporary file in the output's directory
    (.ilrl-plot-XXXXXXXX.tmp, created once the inputs are read and before
    the figure is drawn, so an unwritable directory fails at once; a bad
    input is reported first), synced, then moved to its name:
    without --force by a hard link that fails if the name appeared
    meanwhile, with --force by rename().  Any failure or a SIGINT, SIGTERM or
    SIGHUP removes the temporary: no partial image, nothing overwritten;
  - inputs that are not regular files are refused (exit 3) before they are
    opened: a FIFO would block the NetCDF reader forever.

Every error is one line "ilrl-plot: ...", never a traceback.  Exit status:
0 success, 2 bad command line, 3 bad input file, 4 output problem,
128 + N killed by signal N (output not written), 1 anything else.
"""

import argparse
import errno
import math
import os
import signal
import stat
import sys
import tempfile

PROGRAM = "ilrl-plot"
VERSION = "@PACKAGE_VERSION@"   # substituted by make
COLUMN_INCHES = 5.0
ROW_INCHES = 4.2
TITLE_INCHES = 0.6
FORMATS = (".png", ".pdf", ".svg")

MIN_DPI, MAX_DPI = 10.0, 600.0
MAX_CONTOURS = 100
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".ilrl-plot-", ".tmp"

EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT, EXIT_FAILED = 2, 3, 4, 1


class UsageError(Exception):
    """A bad command line (exit 2)."""


class InputError(Exception):
    """A file that is not a readable landscape (exit 3)."""


class OutputError(Exception):
    """An output that may not or cannot be written (exit 4)."""


class Interrupted(Exception):
    """SIGINT, SIGTERM or SIGHUP arrived (exit 128 + N)."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class LibraryMissing(Exception):
    """numpy, matplotlib or netCDF4 cannot be imported (exit 1)."""


def one_line(text):
    """A message on one line, whatever an exception's text holds."""
    return " ".join(str(text).split())


def load_libraries():
    """Imports numpy, matplotlib (Agg) and netCDF4, or ends with exit 1."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as pyplot
        import numpy
        import netCDF4
    except ImportError as error:
        raise LibraryMissing(f"needs matplotlib, numpy and netCDF4 for python3 "
                             f"({error}); on Debian: apt-get install python3-matplotlib "
                             f"python3-netcdf4")
    return numpy, pyplot, netCDF4


# ---- reading ----------------------------------------------------------------

GRID_VARIABLES = ("il_loss", "rl_loss")
RETURN_VARIABLE = "return_mean"
VALUE_VARIABLES = ("td_loss", "cql_loss")   # optional, drawn when present


class Landscape:
    """The parts of a landscape file that a picture needs."""

    def __init__(self, path, numpy, netCDF4):
        self.path = path
        try:
            self._read(path, numpy, netCDF4)
        except InputError:
            raise
        except (OSError, RuntimeError, ValueError, KeyError, IndexError,
                AttributeError, TypeError) as error:
            raise InputError(f"{path}: unreadable landscape ({error})")

    def _read(self, path, numpy, netCDF4):
        try:
            dataset = netCDF4.Dataset(path, "r")
        except (OSError, RuntimeError, ValueError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise InputError(f"{path}: not a readable NetCDF file ({reason})")
        with dataset:
            kind = getattr(dataset, "ilrl_file_kind", None)
            if kind != "landscape":
                detail = (f'ilrl_file_kind = "{kind}"' if kind is not None
                          else "no ilrl_file_kind attribute")
                raise InputError(f"{path}: not a landscape file ({detail})")
            for name in ("x", "y", "computed") + GRID_VARIABLES:
                if name not in dataset.variables:
                    raise InputError(f"{path}: variable '{name}' missing")
            self.x = numpy.asarray(dataset["x"][:], dtype=float)
            self.y = numpy.asarray(dataset["y"][:], dtype=float)
            shape = (self.y.size, self.x.size)
            computed = numpy.asarray(dataset["computed"][:]) == 1
            self.surfaces = {}
            self.n_grid, self.n_computed = computed.size, int(computed.sum())
            self.nonfinite = numpy.zeros(shape, dtype=bool)
            names = GRID_VARIABLES + tuple(
                name for name in VALUE_VARIABLES + (RETURN_VARIABLE,)
                if name in dataset.variables)
            for name in names:
                data = numpy.ma.filled(dataset[name][:].astype(float), numpy.nan)
                if data.shape != shape or computed.shape != shape:
                    raise InputError(f"{path}: variable '{name}' must be (y, x) = {shape}")
                if name in GRID_VARIABLES:
                    self.nonfinite |= computed & ~numpy.isfinite(data)
                self.surfaces[name] = numpy.ma.masked_where(
                    ~computed | ~numpy.isfinite(data), data)
            self.meta = {name: dataset.getncattr(name) for name in dataset.ncattrs()}

    @property
    def has_return(self):
        return RETURN_VARIABLE in self.surfaces

    def attribute(self, name, default=""):
        value = self.meta.get(name, default)
        return value if isinstance(value, str) else str(value)

    def axis_labels(self):
        """Axis names from the plane: weight names, or plain directions."""
        plane = self.attribute("plane")
        if plane.startswith("weights:"):
            names = split_outside_brackets(plane[len("weights:"):])
            if len(names) == 2:
                return f"offset of {names[0]}", f"offset of {names[1]}"
        if plane == "gradients":
            return "direction x (IL gradient)", "direction y (RL gradient, orthogonal part)"
        return "direction x", "direction y"

    def session(self):
        """A short name for the demonstration: "poor", "strong.nc", ..."""
        demo = self.attribute("demo_file") or os.path.basename(self.path)
        return demo.split(":", 1)[1] if demo.startswith("built-in:") else os.path.basename(demo)

    def warnings(self, numpy):
        """One line for each thing a reader of the picture cannot see:
        blank points that are not computed, blank points that are."""
        lines = []
        if self.n_computed < self.n_grid:
            percent = math.floor(1000.0 * self.n_computed / self.n_grid) / 10.0
            lines.append(f"{self.path}: incomplete, {percent:.1f}% of the grid computed "
                         f"({self.n_computed} of {self.n_grid} points): the rest is blank")
        count = int(self.nonfinite.sum())
        if count:
            j, i = (int(index[0]) for index in numpy.nonzero(self.nonfinite))
            lines.append(f"{self.path}: {count} computed point{'s' if count > 1 else ''} "
                         f"with non-finite losses, the first at (x, y) = "
                         f"({self.x[i]:.6g}, {self.y[j]:.6g}): drawn blank")
        return lines

    def pearson(self, numpy, first="il_loss", second="rl_loss"):
        """r of two surfaces (IL and RL by default) over the points computed
        in both (NaN if undefined), the same at any magnitude: each surface
        is brought to unit scale by a power of two before numpy sums its
        squares (ilrl-compare's rule)."""
        il, rl = self.surfaces[first], self.surfaces[second]
        used = ~(numpy.ma.getmaskarray(il) | numpy.ma.getmaskarray(rl))
        a, b = numpy.asarray(il)[used], numpy.asarray(rl)[used]
        if a.size < 2 or numpy.ptp(a) == 0 or numpy.ptp(b) == 0:
            return float("nan")
        a = numpy.ldexp(a, -int(numpy.frexp(numpy.max(numpy.abs(a)))[1]))
        b = numpy.ldexp(b, -int(numpy.frexp(numpy.max(numpy.abs(b)))[1]))
        return float(numpy.clip(numpy.corrcoef(a, b)[0, 1], -1.0, 1.0))


def split_outside_brackets(text):
    """ "W3[0,0],b2[1]" -> ["W3[0,0]", "b2[1]"]: commas inside [] stay."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


# ---- drawing ----------------------------------------------------------------

COLUMN_TITLES = {"il_loss": "IL loss (behaviour cloning)",
                 "rl_loss": "RL loss (REINFORCE surrogate)",
                 "td_loss": "TD loss (outputs as Q-values)",
                 "cql_loss": "CQL loss (TD + alpha IL)",
                 RETURN_VARIABLE: "return (mean over rollouts)"}
COLOUR_LABELS = {"il_loss": "$L_{IL}$", "rl_loss": "$L_{RL}$",
                 "td_loss": "$L_{TD}$", "cql_loss": "$L_{CQL}$",
                 RETURN_VARIABLE: "mean discounted return"}


def value_title(landscape, name):
    """The TD/CQL column title with its settings, as the file records them."""
    if name == "td_loss":
        return f"TD loss (target {landscape.attribute('td_target') or '?'})"
    alpha = landscape.meta.get("cql_alpha")
    return f"CQL loss (TD + {alpha:g} IL)" if alpha is not None else COLUMN_TITLES[name]


def format_r(r):
    return "r undefined" if r != r else f"r = {r:+.3f}"


def draw_surface(axes, figure, landscape, name, options, numpy, colors):
    surface = landscape.surfaces[name]
    label = COLOUR_LABELS[name]
    norm = None
    if options.log and surface.count() > 0:
        low = float(surface.min())
        shift = 0.0
        if low <= 0:
            spread = float(surface.max()) - low
            shift = -low + (spread * 1e-2 if spread > 0 else 1.0)
            surface = surface + shift
            label += f" + {shift:.3g} (log scale, shifted > 0)"
        else:
            label += " (log scale)"
        norm = colors.LogNorm(vmin=float(surface.min()), vmax=float(surface.max()))
    cmap = colors_viridis(colors)
    mesh = axes.pcolormesh(landscape.x, landscape.y, surface, cmap=cmap, norm=norm,
                           shading="nearest")
    if options.contours > 0 and surface.count() > 3 and surface.min() < surface.max() \
            and landscape.x.size > 1 and landscape.y.size > 1:
        levels = options.contours
        if norm is not None:
            levels = numpy.geomspace(float(surface.min()), float(surface.max()),
                                     options.contours + 2)[1:-1]
        axes.contour(landscape.x, landscape.y, surface, levels=levels,
                     colors="white", linewidths=0.6, alpha=0.7, linestyles="solid")
    axes.plot([0.0], [0.0], marker="+", markersize=12, markeredgewidth=2,
              color="red", linestyle="none", label=r"$\theta_0$")
    xlabel, ylabel = landscape.axis_labels()
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    figure.colorbar(mesh, ax=axes, label=label)
    return axes


def colors_viridis(colors):
    import matplotlib
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad(color="white", alpha=0.0)   # not computed: blank
    return cmap


def make_figure(landscapes, options, numpy, pyplot):
    from matplotlib import colors
    columns = ["il_loss", "rl_loss"]
    for name in VALUE_VARIABLES + (RETURN_VARIABLE,):
        if any(name in landscape.surfaces for landscape in landscapes):
            columns.append(name)
    rows = len(landscapes)
    sessions = [landscape.session() for landscape in landscapes]
    if len(set(sessions)) < len(sessions):   # same demo: name rows by file
        sessions = [os.path.basename(landscape.path) for landscape in landscapes]
    figure = pyplot.figure(figsize=(COLUMN_INCHES * len(columns),
                                    ROW_INCHES * rows + TITLE_INCHES),
                           dpi=options.dpi, layout="constrained")
    grid = figure.subplots(rows, len(columns), squeeze=False)
    for row, landscape in enumerate(landscapes):
        r = landscape.pearson(numpy)
        for column, name in enumerate(columns):
            axes = grid[row][column]
            if name not in landscape.surfaces:
                axes.set_axis_off()
                axes.set_title(f"{COLUMN_TITLES[name]}: not in this file")
                continue
            draw_surface(axes, figure, landscape, name, options, numpy, colors)
            title = (value_title(landscape, name) if name in VALUE_VARIABLES
                     else COLUMN_TITLES[name])
            if rows > 1:
                title = f"{sessions[row]}: {title}"
            if column == 0:
                title += f"\n{format_r(r)} (IL vs RL)"
            elif name in VALUE_VARIABLES:
                short = "TD" if name == "td_loss" else "CQL"
                title += (f"\n{format_r(landscape.pearson(numpy, 'il_loss', name))}"
                          f" (IL vs {short})")
            axes.set_title(title)
        grid[row][0].legend(loc="best", fontsize="small")
    first = landscapes[0]
    if rows == 1:
        title = (f"plane {first.attribute('plane')} · demo {first.attribute('demo_file')}"
                 f" · rl_weight {first.attribute('rl_weight')} · {format_r(first.pearson(numpy))}")
    else:
        title = (f"IL vs RL landscapes · plane {first.attribute('plane')}"
                 f" · rl_weight {first.attribute('rl_weight')}")
    figure.suptitle(title)
    return figure


# ---- command line -----------------------------------------------------------

class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (its own are usage + message)."""

    def error(self, message):
        raise UsageError(f"{message} (try --help)")


def parse_arguments(argv):
    parser = Parser(
        prog=PROGRAM,
        description="Draw IL and RL loss landscapes (viridis: dark blue low, "
                    "yellow high) from files written by ilrl-landscape.",
        epilog=f"Figure size: {COLUMN_INCHES:g} in per column x {ROW_INCHES:g} in "
               f"per row + {TITLE_INCHES:g} in, times --dpi (one file: 2 columns, "
               f"3 with a return surface).  An existing output is replaced only "
               f"with --force, and only if it is a regular file that is not an "
               f"input; the image is written under a temporary name in the same "
               f"directory and renamed.  Exit status: 0 success, 2 bad command "
               f"line, 3 bad input file, 4 output problem, 1 anything else.")
    parser.add_argument("files", nargs="*", metavar="FILE.nc",
                        help="one landscape file")
    parser.add_argument("--panel", nargs=2, metavar=("POOR.nc", "STRONG.nc"),
                        help="reference figure: one row per file")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="output .png, .pdf or .svg (default: FILE.png next "
                             "to a single input, reference.png for --panel)")
    parser.add_argument("-f", "--force", action="store_true",
                        help="replace an existing output (a regular file only)")
    parser.add_argument("--contours", type=int, default=10, metavar="N",
                        help=f"N contour lines over each heatmap, 0 to "
                             f"{MAX_CONTOURS} (0: none; default 10)")
    parser.add_argument("--log", action="store_true",
                        help="logarithmic colour scale (non-positive surfaces are "
                             "shifted, and the colour bar says by how much)")
    parser.add_argument("--dpi", type=float, default=100.0,
                        help=f"resolution in dots per inch, {MIN_DPI:g} to "
                             f"{MAX_DPI:g} (default 100)")
    parser.add_argument("--version", action="version",
                        version=f"{PROGRAM} (ilrl-landscape) {VERSION}")
    options = parser.parse_args(argv)
    if options.panel and options.files:
        parser.error("give either FILE.nc or --panel POOR.nc STRONG.nc, not both")
    if not options.panel and len(options.files) != 1:
        parser.error("give one landscape file (or --panel POOR.nc STRONG.nc)")
    if not 0 <= options.contours <= MAX_CONTOURS:
        parser.error(f"--contours {options.contours}: must be in 0 .. {MAX_CONTOURS}")
    if not (math.isfinite(options.dpi) and MIN_DPI <= options.dpi <= MAX_DPI):
        parser.error(f"--dpi {options.dpi:g}: must be in {MIN_DPI:g} .. {MAX_DPI:g}")
    if options.output is None:
        options.output = ("reference.png" if options.panel else
                          os.path.splitext(options.files[0])[0] + ".png")
    if options.output == "" or options.output.endswith(os.sep):
        parser.error(f"-o '{options.output}': not a file name")
    if os.path.splitext(options.output)[1].lower() not in FORMATS:
        parser.error(f"-o {options.output}: the name must end in "
                     f"{', '.join(FORMATS)}")
    if "\0" in options.output:
        parser.error("-o: the name holds a NUL character")
    return options


# ---- files --------------------------------------------------------------------

def file_type(mode):
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"),
                       (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_inputs(paths):
    """Refuses inputs that are not regular files (before anything opens
    them); returns their (device, inode) pairs."""
    identities = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError as error:
            raise InputError(f"{path}: cannot read ({error.strerror or error})")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: not a regular file ({file_type(info.st_mode)})")
        identities.append((info.st_dev, info.st_ino))
    return identities


class Output:
    """The output file: checked, drawn under a temporary name in its own
    directory, then moved into place (see the header)."""

    def __init__(self, path, force, inputs, input_identities):
        self.path, self.force, self.temporary = path, force, None
        self.directory = os.path.dirname(path) or "."
        self._check_target(inputs, input_identities)
        try:
            limit = os.pathconf(self.directory, "PC_NAME_MAX")
        except (OSError, ValueError):
            limit = 255
        if len(os.fsencode(os.path.basename(path))) > limit:
            raise OutputError(f"{path}: cannot write (the name is longer than "
                              f"{limit} bytes)")
        try:
            descriptor, self.temporary = tempfile.mkstemp(
                prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX, dir=self.directory)
        except OSError as error:
            raise OutputError(f"{path}: cannot write ({error.strerror or error})")
        umask = os.umask(0)
        os.umask(umask)
        try:
            os.fchmod(descriptor, 0o666 & ~umask)   # as open() would have made it
        finally:
            os.close(descriptor)

    def _check_target(self, inputs, input_identities):
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            if os.path.lexists(self.path) and not self.force:   # a dangling link
                raise OutputError(f"{self.path} exists (use --force to overwrite)")
            return
        except OSError as error:
            raise OutputError(f"{self.path}: cannot write ({error.strerror or error})")
        if (info.st_dev, info.st_ino) in input_identities:
            which = inputs[input_identities.index((info.st_dev, info.st_ino))]
            raise OutputError(f"{self.path}: is the input {which}; refusing to "
                              f"overwrite it (even with --force)")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(f"{self.path}: exists and is {file_type(info.st_mode)}; "
                              f"only a regular file may be replaced")
        if not self.force:
            raise OutputError(f"{self.path} exists (use --force to overwrite)")

    def save(self, figure, dpi, inputs, input_identities):
        form = os.path.splitext(self.path)[1].lower()[1:]
        try:
            with open(self.temporary, "wb") as stream:
                figure.savefig(stream, format=form, dpi=dpi)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as error:
            raise OutputError(f"{self.path}: cannot write ({error.strerror or error}); "
                              f"not written")
        # The target may have changed while the figure was drawn.
        self._check_target(inputs, input_identities)
        try:
            if self.force:
                os.replace(self.temporary, self.path)
            else:
                self._link_no_clobber()
            self.temporary = None
        except FileExistsError:
            raise OutputError(f"{self.path} exists (use --force to overwrite)")
        except OSError as error:
            raise OutputError(f"{self.path}: cannot write ({error.strerror or error}); "
                              f"not written")
        try:
            descriptor = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError as error:
            if error.errno not in (errno.EINVAL, errno.EBADF, errno.EACCES):
                raise OutputError(f"{self.path}: cannot sync its directory "
                                  f"({error.strerror or error})")

    def _link_no_clobber(self):
        try:
            os.link(self.temporary, self.path)
        except FileExistsError:
            raise
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK,
                                   errno.EOPNOTSUPP, errno.ENOSYS):
                raise
            if os.path.lexists(self.path):   # no hard links here: check, rename
                raise FileExistsError(errno.EEXIST, "exists")
            os.rename(self.temporary, self.path)
            return
        os.unlink(self.temporary)

    def discard(self):
        if self.temporary is not None:
            try:
                os.unlink(self.temporary)
            except OSError:
                pass
            self.temporary = None


# ---- main -----------------------------------------------------------------------

def raise_interrupted(signum, frame):
    raise Interrupted(signum)


def run(argv):
    options = parse_arguments(argv)
    paths = options.panel or options.files
    input_identities = check_inputs(paths)
    numpy, pyplot, netCDF4 = load_libraries()
    landscapes = [Landscape(path, numpy, netCDF4) for path in paths]
    # A bad input is reported as such (exit 3) before the output is
    # examined; the output is checked and its temporary made before drawing,
    # the slow part.
    output = Output(options.output, options.force, paths, input_identities)
    try:
        for landscape in landscapes:   # once the run will go ahead
            for line in landscape.warnings(numpy):
                print(f"{PROGRAM}: warning: {one_line(line)}", file=sys.stderr)
        figure = make_figure(landscapes, options, numpy, pyplot)
        output.save(figure, options.dpi, paths, input_identities)
    finally:
        output.discard()
    return 0


def main(argv):
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_interrupted)
    try:
        return run(argv)
    except UsageError as error:
        status, message = EXIT_USAGE, str(error)
    except InputError as error:
        status, message = EXIT_INPUT, str(error)
    except OutputError as error:
        status, message = EXIT_OUTPUT, str(error)
    except Interrupted as error:
        status, message = 128 + error.signum, f"stopped by signal {error.signum}; nothing written"
    except LibraryMissing as error:
        status, message = EXIT_FAILED, str(error)
    except MemoryError:
        status, message = EXIT_FAILED, "out of memory while drawing; nothing written"
    except RecursionError:
        status, message = EXIT_FAILED, "internal error (recursion); nothing written"
    except Exception as error:   # one line, never a traceback
        status = EXIT_FAILED
        message = f"cannot draw the figure ({type(error).__name__}: {error}); nothing written"
    print(f"{PROGRAM}: {one_line(message)}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
