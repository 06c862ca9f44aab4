"""ilrl.errors -- exceptions of the ilrl package, with exit statuses.

Every error the package raises on purpose is an IlrlError whose `status`
is the exit status a command would end with (docs/exit-status.md):
2 bad command line, 3 bad input (file or arrays), 4 output problem,
1 anything else.  str(error) is one line, naming the file (or origin) and
the problem, e.g. "demo.nc: action[17] = 3 is outside [0, 2)".
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT = 0, 1, 2, 3, 4


class IlrlError(Exception):
    """Base class; `status` is the exit status (1 unless a subclass says)."""

    status = EXIT_FAILED


class UsageError(IlrlError, ValueError):
    """A bad argument (exit 2)."""

    status = EXIT_USAGE


class InputError(IlrlError, ValueError):
    """Input data or an input file that breaks a rule (exit 3)."""

    status = EXIT_INPUT


class OutputError(IlrlError, OSError):
    """The output cannot be written, or exists and force is off (exit 4)."""

    status = EXIT_OUTPUT
