"""ilrl -- Python side of ilrl-landscape: demonstration files and importers.

Modules:
  ilrl.demo       write_demo() / open_demo(): the demonstration file of
                  docs/formats.md, written atomically and validated with the
                  rules (and messages) of the C reader.
  ilrl.importers  Minari datasets, D4RL-style HDF5 files and NumPy .npz
                  archives -> the arrays write_demo() takes (ilrl-import).
  ilrl.errors     the exceptions, each carrying the exit status of
                  docs/exit-status.md (2 usage, 3 input, 4 output, 1 other).

Modules other helpers add later (ilrl.landscape: landscape files and plots;
ilrl.torch: PyTorch networks) are imported explicitly by their users, so
`import ilrl` itself needs only numpy (netCDF4, xarray and h5py are imported
by the functions that use them).  See docs/python.md.
"""

from ilrl.errors import IlrlError, UsageError, InputError, OutputError

try:  # written by make (src/ilrl/_version.py); absent in a bare source tree
    from ilrl._version import __version__
except ImportError:  # pragma: no cover - depends on the build
    __version__ = "unknown"

__all__ = ["IlrlError", "UsageError", "InputError", "OutputError", "__version__"]
