"""pycheck.py -- what the Python test scripts (tests/py_*.py) share: a check
that records a failure and goes on, a command that must end with the
expected exit status, and the summary that sets the script's own status.
The scripts run as `python3 tests/py_x.py`, so this directory is on
sys.path."""
import subprocess
import sys

FAILURES = []


def check(condition, message):
    """Records `message` as a failure unless `condition`; goes on either way."""
    if not condition:
        FAILURES.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


def run(*command, expect=0, timeout=600):
    """Runs `command`; ends the script unless it exits `expect`."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != expect:
        raise SystemExit(f"exit {result.returncode}, expected {expect}: {' '.join(command)}\n"
                         f"{result.stderr}")
    return result


def finish(name):
    """Exit 1 after any failed check, else say that `name` passed."""
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print(f"{name}: all checks passed")
