#!/usr/bin/env python3
"""ilrl-plot -- heatmaps of IL and RL loss landscapes (docs/comparison.md,
docs/return-surface.md): a command over ilrl.landscape, which reads the
files (open_landscape) and draws the figure (make_figure); this file owns
the command line and the output file.

One file:  IL and RL side by side (then TD and CQL when the file has them,
           docs/value-objectives.md, and the rollout return when it has one), colour bars, axes in plane units, the base point theta0 at
           (0, 0) marked, a title from the file's metadata.
--panel POOR.nc STRONG.nc: the reference figure, one row per session,
           columns IL / RL (/ TD / CQL) (/ return), Pearson r of each row in
           its titles (TD and CQL: r with IL).
A file that carries an ilrl-train path has it drawn on every panel, and a
line under the title when checkpoints lie off the plane (ilrl.landscape
says how and why).

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
import importlib
import math
import os
import signal
import stat
import sys
import tempfile

PROGRAM = "ilrl-plot"
VERSION = "@PACKAGE_VERSION@"   # substituted by make
# Where the package ilrl is: the installed script looks in the Python
# directory it was installed with (appended to sys.path, so PYTHONPATH comes
# first); the script make builds in the build tree (BUILD_DIRECTORY) uses
# the source tree's package first.  All three substituted by make.
ILRL_PYTHONDIR = "@pythondir@"
BUILD_DIRECTORY = "@abs_builddir@/src"
SOURCE_PACKAGE_DIRECTORY = "@abs_srcdir@/src"
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


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived (exit 128 + N).  A BaseException,
    like KeyboardInterrupt: a library's `except Exception` (some imports of
    numpy's and xarray's stack have one) must not swallow it; the signal is
    also remembered (PENDING) and looked at between the stages of run()."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class LibraryMissing(Exception):
    """numpy, matplotlib, netCDF4, xarray or ilrl cannot be imported (exit 1)."""


def one_line(text):
    """A message on one line, whatever an exception's text holds."""
    return " ".join(str(text).split())


def package_path():
    """sys.path for the package ilrl (see ILRL_PYTHONDIR)."""
    here = os.path.dirname(os.path.realpath(os.path.abspath(__file__)))
    if not BUILD_DIRECTORY.startswith("@") and \
            here == os.path.realpath(BUILD_DIRECTORY):
        sys.path.insert(0, SOURCE_PACKAGE_DIRECTORY)
    elif not ILRL_PYTHONDIR.startswith("@") and ILRL_PYTHONDIR not in sys.path:
        sys.path.append(ILRL_PYTHONDIR)


def load_libraries():
    """Imports ilrl.landscape with numpy, matplotlib, netCDF4 and xarray,
    or ends with exit 1; returns the module."""
    package_path()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import ilrl.landscape as landscape
        for name in ("numpy", "netCDF4", "xarray"):   # imported by its functions
            importlib.import_module(name)
    except ImportError as error:
        raise LibraryMissing(f"needs matplotlib, numpy, netCDF4, xarray and the ilrl "
                             f"package for python3 ({error}); on Debian: apt-get "
                             f"install python3-matplotlib python3-netcdf4 python3-xarray")
    return landscape


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

def check_inputs(paths, landscape):
    """Refuses inputs that are not regular files (before anything opens
    them); returns their (device, inode) pairs."""
    identities = []
    for path in paths:
        try:
            info = landscape.check_regular_file(path)
        except landscape.LandscapeError as error:
            raise InputError(str(error))
        identities.append((info.st_dev, info.st_ino))
    return identities


class Output:
    """The output file: checked, drawn under a temporary name in its own
    directory, then moved into place (see the header)."""

    def __init__(self, path, force, inputs, input_identities, landscape):
        self.path, self.force, self.temporary = path, force, None
        self.landscape = landscape
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
            what = self.landscape.file_type(info.st_mode)
            raise OutputError(f"{self.path}: exists and is {what}; "
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
        check_pending()   # a signal during savefig: nothing moved into place
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

PENDING = []   # signals received, in case a library swallowed the raise


def raise_interrupted(signum, frame):
    PENDING.append(signum)
    raise Interrupted(signum)


def check_pending():
    if PENDING:
        raise Interrupted(PENDING[0])


def run(argv):
    options = parse_arguments(argv)
    paths = options.panel or options.files
    landscape = load_libraries()
    input_identities = check_inputs(paths, landscape)
    try:
        datasets = [landscape.open_landscape(path) for path in paths]
    except landscape.LandscapeError as error:
        raise InputError(str(error))
    check_pending()
    # A bad input is reported as such (exit 3) before the output is
    # examined; the output is checked and its temporary made before drawing,
    # the slow part.
    output = Output(options.output, options.force, paths, input_identities, landscape)
    try:
        for dataset in datasets:   # once the run will go ahead
            for line in landscape.warnings(dataset):
                print(f"{PROGRAM}: warning: {one_line(line)}", file=sys.stderr)
        check_pending()
        figure = landscape.make_figure(datasets, options.contours, options.log,
                                       options.dpi, COLUMN_INCHES, ROW_INCHES,
                                       TITLE_INCHES)
        check_pending()
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
