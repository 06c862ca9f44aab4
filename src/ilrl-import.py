#!/usr/bin/env python3
"""ilrl-import -- other tools' demonstration datasets -> an ilrl demonstration
file (docs/formats.md) for ilrl-landscape.  See docs/python.md and
ilrl-import(1).

Reads a Minari dataset directory, a D4RL-style HDF5 file or a NumPy .npz
archive (ilrl.importers says how each is read), then writes with
ilrl.demo.write_demo, which validates like the C reader.

Exit status (docs/exit-status.md): 0 success, 2 bad command line, 3 bad
input (unreadable, or not discrete actions and flat observations), 4 output
problem (exists without --force, cannot be written), 1 anything else.  Every
failure is one line "ilrl-import: ..." on stderr, never a traceback.

The installed script finds the ilrl package in the Python directory it was
installed with (ILRL_PYTHONDIR, substituted by make), appended to sys.path
so that PYTHONPATH (the build tree's src/ in tests) comes first.
"""

import argparse
import sys

PROGRAM = "ilrl-import"
VERSION = "@PACKAGE_VERSION@"      # substituted by make
ILRL_PYTHONDIR = "@pythondir@"     # substituted by make

EXIT_FAILED, EXIT_USAGE, EXIT_INPUT, EXIT_OUTPUT = 1, 2, 3, 4


def fail(status, message):
    print(f"{PROGRAM}: {message}", file=sys.stderr)
    sys.exit(status)


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line and exit 2."""

    def error(self, message):
        fail(EXIT_USAGE, f"{message} (try --help)")


def parse_arguments(argv, simulated_envs):
    parser = Parser(
        prog=PROGRAM,
        usage="%(prog)s [OPTION]... INPUT",
        description="Convert a demonstration dataset into an ilrl demonstration "
                    "file for ilrl-landscape. INPUT is a Minari dataset "
                    "directory (data/metadata.json + data/main_data.hdf5), a "
                    "D4RL-style HDF5 file (observations, actions, rewards, "
                    "terminals, timeouts) or a NumPy .npz with the same keys. "
                    "Only discrete actions and flat observations are accepted.",
        epilog="Exit status: 0 success, 2 bad command line, 3 bad input (or "
               "not discrete actions / flat observations), 4 output problem, "
               "1 other failure.")
    parser.add_argument("input", metavar="INPUT", help="dataset to convert")
    parser.add_argument("-o", "--out", default="demo.nc", metavar="FILE",
                        help="output demonstration file (default demo.nc)")
    parser.add_argument("--format", choices=("minari", "d4rl", "npz"),
                        help="input format (default: a directory is minari, "
                             "*.npz npz, other HDF5 files d4rl)")
    parser.add_argument("--env", metavar="NAME",
                        help=f"the data come from an environment ilrl simulates "
                             f"({', '.join(simulated_envs)}): sets the env "
                             f"attribute, which ilrl-landscape --objective "
                             f"return needs (default: the source's environment "
                             f"id, if it names one)")
    parser.add_argument("--n-actions", type=int, metavar="K",
                        help="number of actions (default: Minari's Discrete n, "
                             "else the largest action + 1)")
    parser.add_argument("--action-names", metavar="LIST",
                        help="comma-separated, K names")
    parser.add_argument("--feature-names", metavar="LIST",
                        help="comma-separated, one name per observation feature")
    parser.add_argument("--pilot", metavar="TEXT",
                        help="who acted (default: minari:DATASET_ID, "
                             "d4rl:FILE or npz:FILE)")
    parser.add_argument("--reward-scheme", default="", metavar="NAME",
                        help="the reward_scheme attribute (e.g. sparse, shaped)")
    parser.add_argument("-f", "--force", action="store_true",
                        help="overwrite FILE if it exists")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print nothing on success (notes about the input "
                             "included)")
    parser.add_argument("-V", "--version", action="version",
                        version=f"{PROGRAM} (ilrl-landscape) {VERSION}")
    options = parser.parse_args(argv)
    if options.env is not None and options.env not in simulated_envs:
        parser.error(f"--env: '{options.env}' is not an environment ilrl "
                     f"simulates ({', '.join(simulated_envs)})")
    if options.n_actions is not None and options.n_actions < 2:
        parser.error(f"--n-actions: {options.n_actions} must be >= 2")
    return options


def import_package():
    """ilrl from PYTHONPATH / site directories, else the install directory."""
    if ILRL_PYTHONDIR and not ILRL_PYTHONDIR.startswith("@") \
            and ILRL_PYTHONDIR not in sys.path:
        sys.path.append(ILRL_PYTHONDIR)
    try:
        import numpy  # noqa: F401  (Debian: python3-numpy)
        import h5py  # noqa: F401
        import netCDF4  # noqa: F401
        import ilrl.demo
        import ilrl.importers
    except ImportError as error:
        fail(EXIT_FAILED, f"needs the ilrl package (installed in "
                          f"{ILRL_PYTHONDIR}; or set PYTHONPATH) and numpy, h5py, "
                          f"netCDF4 for {sys.executable} ({error}); on Debian: "
                          f"apt-get install python3-numpy python3-h5py "
                          f"python3-netcdf4")
    return ilrl.demo, ilrl.importers


def run(argv):
    simulated = ("flappy-bird", "cartpole")
    options = parse_arguments(argv, simulated)
    demo, importers = import_package()
    from ilrl.errors import IlrlError

    try:
        # refuse an existing output before reading a possibly large input
        demo.check_output(options.out, options.force,
                          hint="use --force to overwrite")
        try:
            dataset = importers.load(options.input, options.format)
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
            if isinstance(error, IlrlError):
                raise
            # h5py/numpy failing inside a damaged file
            fail(EXIT_INPUT, f"{options.input}: unreadable "
                             f"({type(error).__name__}: {error})")
        if not options.quiet:
            for note in dataset.notes:
                print(f"{PROGRAM}: note: {note}", file=sys.stderr)
        env = options.env if options.env is not None else dataset.env_id
        if options.env == "flappy-bird" and not options.reward_scheme \
                and not options.quiet:
            print(f"{PROGRAM}: note: --env {options.env} without --reward-scheme: "
                  f"ilrl-landscape --objective return needs the reward scheme "
                  f"the data were recorded with (sparse or shaped)",
                  file=sys.stderr)
        command = " ".join([PROGRAM] + list(argv))
        demo.write_demo(
            options.out, dataset.obs, dataset.action, dataset.reward,
            episode_start=dataset.episode_start, terminated=dataset.terminated,
            final_obs=dataset.final_obs,
            n_actions=(options.n_actions if options.n_actions is not None
                       else dataset.n_actions),
            action_names=options.action_names,
            feature_names=options.feature_names, env=env,
            pilot=options.pilot if options.pilot is not None else dataset.pilot,
            reward_scheme=options.reward_scheme, history=command,
            origin=options.input, force=options.force)
    except IlrlError as error:
        fail(error.status, str(error))
    except MemoryError:
        fail(EXIT_FAILED, f"{options.input}: out of memory")
    if not options.quiet:
        n_episodes = dataset.episode_start.shape[0]
        n_steps = dataset.action.shape[0]
        print(f"{PROGRAM}: {options.out}: {n_steps} steps, {n_episodes} "
              f"episode{'s' if n_episodes != 1 else ''}, "
              f"{dataset.obs.shape[1]} features, "
              f"{int(dataset.terminated.sum())} terminated", file=sys.stderr)
    return 0


def main(argv):
    try:
        return run(argv)
    except KeyboardInterrupt:
        fail(130, "interrupted")
    except Exception as error:  # pylint: disable=broad-except
        # failures not foreseen above: still one line, exit 1, no traceback
        fail(EXIT_FAILED, f"internal error: {type(error).__name__}: {error}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
