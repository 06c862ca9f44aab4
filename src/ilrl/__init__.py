"""ilrl -- Python side of ilrl-landscape: demonstrations, importers,
landscapes and PyTorch networks.

Modules:
  ilrl.demo       write_demo() / open_demo(): the demonstration file of
                  docs/formats.md, written atomically and validated with the
                  rules (and messages) of the C reader.
  ilrl.importers  Minari datasets, D4RL-style HDF5 files and NumPy .npz
                  archives -> the arrays write_demo() takes (ilrl-import).
  ilrl.errors     the exceptions, each carrying the exit status of
                  docs/exit-status.md (2 usage, 3 input, 4 output, 1 other).
  ilrl.landscape  open_landscape() -> xarray.Dataset; compare(): the numbers
                  of ilrl-compare (equal to the C library's to 1e-12);
                  make_figure(): the figures of ilrl-plot, training path
                  included.
  ilrl.torch      export_network() / load_network(): PyTorch nn.Sequential
                  <-> the network file of ilrl-landscape --theta.

`import ilrl` itself needs only numpy; netCDF4, xarray, h5py, matplotlib and
torch are imported by the functions that use them, so ilrl.torch imports
(and the rest of the package works) without torch.  See docs/python.md.
"""

from ilrl.errors import IlrlError, UsageError, InputError, OutputError

try:  # written by make (src/ilrl/_version.py); absent in a bare source tree
    from ilrl._version import __version__
except ImportError:  # pragma: no cover - depends on the build
    __version__ = "unknown"

__all__ = ["IlrlError", "UsageError", "InputError", "OutputError", "__version__"]
