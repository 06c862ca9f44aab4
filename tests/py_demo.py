"""py_demo.py -- ilrl.demo.write_demo and the C reader agree.

For every case of BAD_CASES the test writes the arrays to a NetCDF file as
they are (types kept, no checks: write_raw), has the C reader refuse it
(src/ilrl-landscape --demo FILE: exit 3, one line), has write_demo refuse
the same arrays (DemoError, no file written), and requires both messages to
be "FILE: " + the expected text.  GOOD_CASES must be accepted by both, and
read back unchanged.  WRITER_ONLY cases are refused by write_demo and (for
now) accepted by the C reader: when a C rule is added for one of them, move
it to BAD_CASES and the rule from WRITER_RULES to READER_RULES in
src/ilrl/demo.py.

Run by tests/py_demo.sh: argv[1] = ilrl-landscape, cwd = a scratch directory.
"""

import math
import os
import subprocess
import sys

import netCDF4
import numpy as np

from ilrl import demo
from ilrl.errors import OutputError
from pycheck import FAILURES, check

LANDSCAPE = sys.argv[1]


def good():
    """12 steps, 3 features, 3 episodes (5, 4, 3 steps), K = 2."""
    rng = np.random.default_rng(7)
    return dict(obs=rng.normal(size=(12, 3)),
                action=np.array([0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0]),
                reward=rng.normal(size=12),
                episode_start=np.array([0, 5, 9]),
                episode_length=np.array([5, 4, 3]),
                terminated=np.array([1, 0, 1]),
                n_actions=2)


def setting(key, index, value, dtype=None):
    """A mutation: kwargs[key][index] = value (array converted first)."""
    def mutate(kwargs):
        array = np.array(kwargs[key], dtype=dtype or np.asarray(kwargs[key]).dtype)
        array[index] = value
        kwargs[key] = array
    return mutate


def replacing(**changes):
    def mutate(kwargs):
        kwargs.update(changes)
    return mutate


def both(*mutations):
    def mutate(kwargs):
        for m in mutations:
            m(kwargs)
    return mutate


NEG_NAN = math.copysign(math.nan, -1.0)

# (name, mutation, expected message after "FILE: ", C source of the rule)
FINAL_OBS = np.array([[1.0, 2.0, 3.0], [math.nan] * 3, [4.0, 5.0, 6.0]])

BAD_CASES = [
    ("action = K", setting("action", 7, 2),
     "action[7] = 2 is outside [0, 2)"),
    ("negative action", setting("action", 3, -1),
     "action[3] = -1 is outside [0, 2)"),
    ("NaN reward", setting("reward", 4, math.nan),
     "reward[4] = nan is not finite"),
    ("-inf reward", setting("reward", 11, -math.inf),
     "reward[11] = -inf is not finite"),
    ("inf obs", setting("obs", (6, 2), math.inf),
     "obs[6,2] = inf is not finite"),
    ("-nan obs (C prints the sign)", setting("obs", (0, 1), NEG_NAN),
     "obs[0,1] = -nan is not finite"),
    ("same step: action before reward and obs",
     both(setting("action", 2, 5), setting("reward", 2, math.nan),
          setting("obs", (2, 0), math.nan)),
     "action[2] = 5 is outside [0, 2)"),
    ("same step: reward before obs",
     both(setting("reward", 2, math.nan), setting("obs", (2, 0), math.nan)),
     "reward[2] = nan is not finite"),
    ("earlier step first: obs[1] before action[5]",
     both(setting("obs", (1, 2), math.nan), setting("action", 5, 9)),
     "obs[1,2] = nan is not finite"),
    ("episode_start[0] != 0",
     replacing(episode_start=np.array([1, 5, 9]), episode_length=np.array([4, 4, 3])),
     "episode_start[0] = 1 must be 0 (episodes lie back to back from the first step)"),
    ("episode_start not contiguous",
     replacing(episode_start=np.array([0, 6, 9]), episode_length=np.array([5, 3, 3])),
     "episode_start[1] = 6 is not contiguous: episode_start[0] + episode_length[0] = 5"),
    ("episode of no steps",
     replacing(episode_start=np.array([0, 5, 5]), episode_length=np.array([5, 0, 7])),
     "episode_length[1] = 0 must be >= 1"),
    ("negative episode length",
     replacing(episode_start=np.array([0, 5, 9]), episode_length=np.array([5, 4, -3])),
     "episode_length[2] = -3 must be >= 1"),
    ("episode runs past the last step",
     replacing(episode_length=np.array([5, 4, 5])),
     "episode_length[2] = 5 runs past the last step (episode_start[2] = 9, "
     "12 steps in total)"),
    ("episodes do not cover every step",
     replacing(episode_length=np.array([5, 4, 2])),
     "episode_start/episode_length cover 11 of the 12 steps (episodes must "
     "cover every step)"),
    ("terminated = 2", setting("terminated", 1, 2),
     "terminated[1] = 2 is not 0 (truncated) or 1 (terminated)"),
    ("K = 1", both(replacing(n_actions=1), replacing(action=np.zeros(12, int))),
     "global attribute n_actions = 1 must be >= 2 and <= 65536"),
    ("K = 0", replacing(n_actions=0),
     "global attribute n_actions = 0 must be >= 2 and <= 65536"),
    ("K = 65537", replacing(n_actions=65537),
     "global attribute n_actions = 65537 must be >= 2 and <= 65536"),
    ("more episodes than steps",
     replacing(episode_start=np.arange(13), episode_length=np.ones(13, int),
               terminated=np.ones(13, int)),
     "dimension 'episode' = 13 is more than dimension 'step' = 12 (every "
     "episode has a step)"),
    # NetCDF's default fills: the C reader refuses them in a variable
    # without _FillValue (write_raw and write_demo set none)
    ("obs = the double fill", setting("obs", (3, 1), 9.9692099683868690e+36),
     "obs[3, 1] = 9.96921e+36 is the fill value or missing_value (never "
     "written, or marked missing)"),
    ("reward = the double fill", setting("reward", 10, 9.9692099683868690e+36),
     "reward[10] = 9.96921e+36 is the fill value or missing_value (never "
     "written, or marked missing)"),
    ("fill before infinity: reward fill is read before obs is validated",
     both(setting("obs", (0, 0), math.inf), setting("reward", 11, 9.9692099683868690e+36)),
     "reward[11] = 9.96921e+36 is the fill value or missing_value (never "
     "written, or marked missing)"),
    ("int32 action = the int fill", setting("action", 5, -2147483647, np.int32),
     "action[5] = -2.14748e+09 is the fill value or missing_value (never "
     "written, or marked missing)"),
    ("int8 terminated = the byte fill", setting("terminated", 1, -127, np.int8),
     "terminated[1] = -127 is the fill value or missing_value (never "
     "written, or marked missing)"),
    ("int32 score = the int fill",
     replacing(score=np.array([0, 4, -2147483647], dtype=np.int32)),
     "score[2] = -2.14748e+09 is the fill value or missing_value (never "
     "written, or marked missing)"),
    ("no steps",
     replacing(obs=np.zeros((0, 3)), action=np.zeros(0, int), reward=np.zeros(0),
               episode_start=np.array([0]), episode_length=np.array([0]),
               terminated=np.array([1])),
     "dimension 'step' has length 0: the file holds no steps"),
    ("no features", replacing(obs=np.zeros((12, 0))),
     "dimension 'feature' has length 0: the file holds no observation features"),
    ("no episodes",
     replacing(episode_start=np.zeros(0, int), episode_length=np.zeros(0, int),
               terminated=np.zeros(0, int)),
     "dimension 'episode' has length 0: the file holds no episodes"),
    ("floating-point action", replacing(action=good()["action"].astype(np.float64)),
     "variable 'action' has type double, expected an integer type (int)"),
    ("float32 episode_length",
     replacing(episode_length=np.array([5, 4, 3], dtype=np.float32)),
     "variable 'episode_length' has type float, expected an integer type (int)"),
    ("floating-point terminated", replacing(terminated=np.array([1.0, 0.0, 1.0])),
     "variable 'terminated' has type double, expected an integer type (int)"),
    ("action beyond an int", setting("action", 1, 2 ** 40, np.int64),
     "action[1] = 1099511627776 does not fit in an int"),
    ("episode_length beyond an int",
     replacing(episode_length=np.array([5, -2 ** 33, 3], dtype=np.int64)),
     "episode_length[1] = -8589934592 does not fit in an int"),
    ("score beyond an int",
     replacing(score=np.array([1, 2 ** 31, 0], dtype=np.int64)),
     "score[1] = 2147483648 does not fit in an int"),
    # final_obs: a row is finite or all NaN (unknown); fills refused as read
    ("inf in final_obs", both(replacing(final_obs=FINAL_OBS), setting("final_obs", (2, 1), math.inf)),
     "final_obs[2,1] = inf is not finite"),
    ("NaN in a known final_obs row",
     both(replacing(final_obs=FINAL_OBS), setting("final_obs", (0, 2), math.nan)),
     "final_obs[0,2] = nan is not finite"),
    ("final_obs row partly unknown",
     both(replacing(final_obs=FINAL_OBS), setting("final_obs", (1, 1), 0.5)),
     "final_obs[1,1] = nan is not finite (a row is all NaN, meaning unknown, or finite)"),
    ("fill value in final_obs",
     both(replacing(final_obs=FINAL_OBS), setting("final_obs", (2, 0), 9.969209968386869e36)),
     "final_obs[2, 0] = 9.96921e+36 is the fill value or missing_value "
     "(never written, or marked missing)"),
    ("final_obs checked after the steps",
     both(replacing(final_obs=FINAL_OBS), setting("final_obs", (2, 1), math.inf),
          setting("reward", 4, math.nan)),
     "reward[4] = nan is not finite"),
    ("final_obs fill read before the steps are checked",
     both(replacing(final_obs=FINAL_OBS), setting("final_obs", (0, 0), 9.969209968386869e36),
          setting("action", 1, 7)),
     "final_obs[0, 0] = 9.96921e+36 is the fill value or missing_value "
     "(never written, or marked missing)"),
]

GOOD_CASES = [
    ("the base case", replacing()),
    ("final_obs with an unknown row", replacing(final_obs=FINAL_OBS)),
    ("float32 obs and reward",
     both(replacing(obs=good()["obs"].astype(np.float32)),
          replacing(reward=good()["reward"].astype(np.float32)))),
    ("K = 3, action 2 never taken", replacing(n_actions=3)),
    ("int8 actions, uint16 lengths, bool terminated",
     both(replacing(action=good()["action"].astype(np.int8)),
          replacing(episode_length=np.array([5, 4, 3], dtype=np.uint16)),
          replacing(terminated=np.array([True, False, True])))),
    ("with score", replacing(score=np.array([3, 0, 12]))),
    ("one step, one episode",
     replacing(obs=np.ones((1, 3)), action=np.array([1]), reward=np.array([0.5]),
               episode_start=np.array([0]), episode_length=np.array([1]),
               terminated=np.array([0]))),
]

WRITER_ONLY = [
    ("three action names for K = 2", replacing(action_names=["a", "b", "c"]),
     "action_names has 3 names but n_actions = 2"),
    ("two feature names for D = 3", replacing(feature_names="x,y"),
     "feature_names has 2 names but features = 3"),
]


def write_raw(path, kwargs):
    """The arrays as a demonstration file, types as given, nothing checked."""
    with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
        obs = np.asarray(kwargs["obs"])
        nc.createDimension("step", obs.shape[0])
        nc.createDimension("feature", obs.shape[1])
        nc.createDimension("episode", len(kwargs["episode_start"]))
        names = [("obs", ("step", "feature")), ("action", ("step",)),
                 ("reward", ("step",)), ("episode_start", ("episode",)),
                 ("episode_length", ("episode",)), ("terminated", ("episode",)),
                 ("score", ("episode",)), ("final_obs", ("episode", "feature"))]
        for name, dims in names:
            if kwargs.get(name) is None:
                continue
            values = np.asarray(kwargs[name])
            if values.dtype == bool:
                values = values.astype(np.uint8)
            var = nc.createVariable(name, values.dtype, dims, fill_value=False)
            if values.size:
                var[...] = values
        nc.ilrl_file_kind = "demonstration"
        nc.n_actions = np.int32(kwargs["n_actions"])
        for attribute in ("action_names", "feature_names"):
            value = kwargs.get(attribute)
            if value is not None:
                nc.setncattr(attribute, value if isinstance(value, str) else ",".join(value))


def c_reader(path, tag):
    """(exit status, stderr) of ilrl-landscape on the file."""
    result = subprocess.run(
        [LANDSCAPE, "--demo", path, "--nx", "3", "--ny", "3", "--quiet",
         "--out", f"landscape-{tag}.nc"],
        capture_output=True, text=True, timeout=120)
    return result.returncode, result.stderr


def both_readers_refuse(path, tag, name, want):
    """The C reader (exit 3) and ilrl.demo.open_demo (DemoError of status
    3) refuse the file at path in the same words, want."""
    status, stderr = c_reader(path, tag)
    check(status == 3, f"{name}: C reader exit {status}, expected 3 ({stderr.strip()})")
    check(stderr == f"ilrl-landscape: {want}\n",
          f"{name}: C reader says {stderr!r}, expected {want!r}")
    try:
        demo.open_demo(path)
        check(False, f"{name}: open_demo accepted the file")
    except demo.DemoError as error:
        check(str(error) == want and error.status == 3,
              f"{name}: open_demo says {str(error)!r} (status {error.status}), expected {want!r}")


def python_writer(path, kwargs):
    """None when write_demo accepts (and writes) the arrays, else its message."""
    try:
        demo.write_demo(path, **kwargs)
    except demo.DemoError as error:
        return str(error)
    return None


def run_bad(index, name, mutate, expected):
    kwargs = good()
    mutate(kwargs)
    raw, target = f"bad{index}.nc", f"bad{index}.nc"
    write_raw(raw, kwargs)
    want = f"{raw}: {expected}"
    both_readers_refuse(raw, f"bad{index}", name, want)
    os.unlink(raw)
    got = python_writer(target, kwargs)
    check(got == want, f"{name}: write_demo says {got!r}, expected {want!r}")
    check(not os.path.exists(target), f"{name}: write_demo left {target}")


def run_sizes():
    """Files declaring far more values than they hold (nothing written):
    the C reader and open_demo refuse them before reading, in the same
    words (ncfile.c ilrl_ncfile_check_size), compressed or not."""
    for name, zlib, steps in (("declared", False, 10 ** 8), ("declared-zlib", True, 10 ** 9)):
        path = f"{name}.nc"
        with netCDF4.Dataset(path, "w") as nc:
            nc.createDimension("step", steps)
            nc.createDimension("feature", 3)
            nc.createDimension("episode", 1)
            nc.createVariable("obs", "f8", ("step", "feature"), zlib=zlib, chunksizes=(1024, 3))
            nc.createVariable("action", "i4", ("step",), zlib=zlib, chunksizes=(1024,))
            nc.createVariable("reward", "f8", ("step",), zlib=zlib, chunksizes=(1024,))
            for variable in ("episode_start", "episode_length", "terminated"):
                nc.createVariable(variable, "i4", ("episode",))[:] = 0
            nc.ilrl_file_kind = "demonstration"
            nc.n_actions = np.int32(2)
        size = os.stat(path).st_size
        want = (f"{path}: variable 'obs' declares {steps} x 3 values ({steps * 24:.3g} bytes), "
                f"more than the file's {size} bytes can hold{' even compressed' if zlib else ''}")
        both_readers_refuse(path, name, name, want)


def run_good(index, name, mutate):
    kwargs = good()
    mutate(kwargs)
    path = f"good{index}.nc"
    got = python_writer(path, kwargs)
    check(got is None, f"{name}: write_demo refused: {got}")
    if got is not None:
        return
    status, stderr = c_reader(path, f"good{index}")
    check(status == 0, f"{name}: C reader exit {status}: {stderr.strip()}")
    dataset = demo.open_demo(path)
    check(np.array_equal(dataset["obs"].values,
                         np.asarray(kwargs["obs"], dtype=np.float64)),
          f"{name}: obs changed")
    check(dataset["obs"].dtype == np.float64 and dataset["action"].dtype == np.int32
          and dataset["episode_start"].dtype == np.int64
          and dataset["terminated"].dtype == np.int8,
          f"{name}: types {[str(dataset[v].dtype) for v in dataset.data_vars]}")
    for key in ("action", "reward", "episode_start", "episode_length", "terminated"):
        check(np.array_equal(dataset[key].values,
                             np.asarray(kwargs[key]).astype(dataset[key].dtype)),
              f"{name}: {key} changed")
    check(int(dataset.attrs["n_actions"]) == kwargs["n_actions"],
          f"{name}: n_actions {dataset.attrs['n_actions']}")
    check(dataset.attrs["ilrl_file_kind"] == "demonstration", f"{name}: file kind")
    check(("score" in dataset) == ("score" in kwargs), f"{name}: score presence")


def run_writer_only(index, name, mutate, expected):
    kwargs = good()
    mutate(kwargs)
    path = f"writer{index}.nc"
    got = python_writer(path, kwargs)
    check(got == f"{path}: {expected}",
          f"{name}: write_demo says {got!r}, expected {path}: {expected!r}")
    write_raw(path, kwargs)
    status, stderr = c_reader(path, f"writer{index}")
    check(status == 0, f"{name}: the C reader now refuses it ({stderr.strip()}): "
                       f"move the case to BAD_CASES and its rule to READER_RULES")


def run_flags_and_output():
    """Per-step flags give the same file as episode starts; final_obs is
    kept (and ignored by the C reader); outputs are never overwritten
    without force, and no temporary file is left."""
    kwargs = good()
    terminated = np.zeros(12, bool)
    truncated = np.zeros(12, bool)
    terminated[[4, 11]] = True
    truncated[8] = True
    final_obs = np.array([[1.0, 2.0, 3.0], [np.nan] * 3, [4.0, 5.0, 6.0]])
    demo.write_demo("flags.nc", kwargs["obs"], kwargs["action"], kwargs["reward"],
                    terminated=terminated, truncated=truncated, final_obs=final_obs,
                    env="flappy-bird", pilot="test", seed=5,
                    action_names="idle,flap", feature_names=["a", "b", "c"])
    ds = demo.open_demo("flags.nc")
    check(list(ds["episode_start"].values) == [0, 5, 9], "flags: episode_start")
    check(list(ds["episode_length"].values) == [5, 4, 3], "flags: episode_length")
    check(list(ds["terminated"].values) == [1, 0, 1], "flags: terminated")
    check(np.array_equal(ds["final_obs"].values, final_obs, equal_nan=True),
          "flags: final_obs")
    check(ds.attrs["env"] == "flappy-bird" and int(ds.attrs["seed"]) == 5
          and ds.attrs["action_names"] == "idle,flap"
          and ds.attrs["feature_names"] == "a,b,c", f"flags: attributes {ds.attrs}")
    status, stderr = c_reader("flags.nc", "flags")
    check(status == 0, f"flags: the C reader refuses final_obs: {stderr.strip()}")

    before = open("flags.nc", "rb").read()
    try:
        demo.write_demo("flags.nc", **good())
        check(False, "overwrite without force: no error")
    except OutputError as error:
        check(str(error) == "flags.nc exists (pass force=True to overwrite)"
              and error.status == 4, f"overwrite without force: {error}")
    check(open("flags.nc", "rb").read() == before, "overwrite without force: changed")
    demo.write_demo("flags.nc", force=True, **good())
    check("final_obs" not in demo.open_demo("flags.nc"), "force: not overwritten")
    leftovers = [f for f in os.listdir(".") if ".tmp." in f]
    check(not leftovers, f"temporary files left: {leftovers}")

    # arguments no file can hold: messages of their own, exit status 3
    for name, change, text in (
            ("short action", dict(action=np.zeros(11, int)),
             "action has 11 values, expected 12 (one per step (row of obs))"),
            ("3-D obs", dict(obs=np.zeros((12, 3, 1))),
             "obs has shape (12, 3, 1), expected (step, feature)"),
            ("fractional K", dict(n_actions=2.5), "n_actions = 2.5 is not an integer"),
            ("starts and truncated flags", dict(truncated=np.zeros(12, bool)),
             "give episode_start (with terminated per episode) or per-step "
             "terminated/truncated flags, not both")):
        kwargs = good()
        kwargs.update(change)
        try:
            demo.write_demo("shape.nc", **kwargs)
            check(False, f"{name}: accepted")
        except demo.DemoError as error:
            check(str(error) == f"shape.nc: {text}" and error.status == 3,
                  f"{name}: {error}")

    # open_demo applies the reader's rules to foreign files
    bad = good()
    bad["action"] = bad["action"].copy()
    bad["action"][0] = 7
    write_raw("foreign.nc", bad)
    with netCDF4.Dataset("layout.nc", "w") as nc:
        for dim, size in (("step", 4), ("feature", 2), ("episode", 1)):
            nc.createDimension(dim, size)
        nc.createVariable("obs", "f8", ("feature", "step"))
        nc.n_actions = np.int32(2)
    try:
        demo.open_demo("layout.nc")
        check(False, "open_demo accepted obs (feature, step)")
    except demo.DemoError as error:
        check(str(error) == "layout.nc: variable 'obs' has dimensions (feature, "
                            "step), expected (step, feature)", f"open_demo: {error}")
    status, stderr = c_reader("layout.nc", "layout")
    check(stderr == "ilrl-landscape: layout.nc: variable 'obs' has dimensions "
                    "(feature, step), expected (step, feature)\n",
          f"C reader on obs (feature, step): {stderr!r}")
    try:
        demo.open_demo("foreign.nc")
        check(False, "open_demo accepted an action out of range")
    except demo.DemoError as error:
        check(str(error) == "foreign.nc: action[0] = 7 is outside [0, 2)",
              f"open_demo: {error}")


def run_fill_attributes_and_file_types():
    """A _FillValue or missing_value attribute of a foreign file: open_demo
    refuses the values the C reader refuses, with its message; so is a
    FIFO (neither reader blocks on it)."""
    for name, variable, attribute, value, expected in (
            ("missing_value of reward", "reward", "missing_value", None,
             "reward[2] = {r2} is the fill value or missing_value (never "
             "written, or marked missing)"),
            ("_FillValue of action", "action", "_FillValue", 1,
             "action[1] = 1 is the fill value or missing_value (never "
             "written, or marked missing)")):
        kwargs = good()
        path = f"attr-{variable}.nc"
        write_raw(path, kwargs)
        with netCDF4.Dataset(path, "a") as nc:
            var = nc.variables[variable]
            if value is None:
                value = float(kwargs[variable][2])
            if attribute == "_FillValue":
                # only settable at creation: rename and recreate the
                # variable (the readers ignore the renamed copy)
                nc.renameVariable(variable, variable + "_old")
                old = nc.variables[variable + "_old"]
                new = nc.createVariable(variable, old.dtype, old.dimensions,
                                        fill_value=value)
                new[...] = kwargs[variable]
            else:
                var.setncattr(attribute, value)
        want = f"{path}: " + expected.format(r2="%g" % float(kwargs["reward"][2]))
        both_readers_refuse(path, f"attr-{variable}", name, want)

    os.mkfifo("fifo.nc")
    want = "fifo.nc: a FIFO, not a NetCDF file (only regular files are read)"
    both_readers_refuse("fifo.nc", "fifo", "FIFO", want)


def main():
    for index, (name, mutate, expected) in enumerate(BAD_CASES):
        run_bad(index, name, mutate, expected)
    for index, (name, mutate) in enumerate(GOOD_CASES):
        run_good(index, name, mutate)
    for index, (name, mutate, expected) in enumerate(WRITER_ONLY):
        run_writer_only(index, name, mutate, expected)
    run_flags_and_output()
    run_sizes()
    run_fill_attributes_and_file_types()
    print(f"py_demo: {len(BAD_CASES)} bad, {len(GOOD_CASES)} good, "
          f"{len(WRITER_ONLY)} writer-only cases; {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
