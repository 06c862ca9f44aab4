"""ilrl.demo -- the demonstration file (docs/formats.md) from Python.

write_demo(path, obs, action, reward, ...) writes the schema that
ilrl-demo writes and every C program reads; open_demo(path) reads one back
as an xarray.Dataset.

Validation mirrors the C reader (src/demo_io.c, then ilrl_demo_validate in
src/demo.c): the same rules, in the same order, with the same one-line
messages, so that write_demo refuses exactly the arrays whose file the C
programs would refuse, and says so in the same words ("demo.nc: action[17]
= 3 is outside [0, 2)").  The rules are the table READER_RULES below, one
entry per C check; a rule added to the C reader gets one entry here, in the
C reader's order, and one bad case in tests/py_demo.py (which runs both
readers on it).  Rules the C reader does not have (names counted against
K and D, and without empty names or commas) are WRITER_RULES: write_demo refuses them, the C
reader accepts such a file.  Argument errors that a file cannot express
(arrays of disagreeing lengths, a 3-D obs) are checked before either table
with messages of their own.

Decisions:
  - The written types are the schema's (obs, reward double; action,
    episode_length, score int; episode_start int64; terminated byte).
    Integer or boolean obs and rewards are converted (lossless); a
    floating-point action, episode_start, episode_length, terminated or
    score is refused as the C reader refuses a floating-point variable,
    because converting it could hide a fractional action.
  - Episodes are given either as episode_start (first step of each
    episode) with terminated, or as per-step terminated/truncated flags
    (Gymnasium's convention: flag t is set after action t); then an episode
    ends after every step whose flag is set, and after the last step.
  - n_actions (K) defaults to the number of action_names, else the
    largest action + 1 (at least 2): give it when the data never take the
    last action.
  - Messages start with `origin` (default: the output path), so that a
    converter can name its input file instead.
  - final_obs (episode, feature) is an optional variable: the observation
    after each episode's last action, a row of NaN where unknown (the C
    reader refuses a row that is partly NaN, or holds an infinity, and the
    value objectives leave an unknown truncated step out).  Truncated episodes need it
    to bootstrap a value; terminated ones may carry it too.
  - The file is written as NetCDF-4 without fill values (like the C
    writer) to PATH.tmp.<pid> in PATH's directory, with an upper bound of
    its size reserved first (_reserve says why), closed, fsynced, then
    hard-linked into place (which refuses a file that appeared meanwhile)
    or, with force, renamed over it; the directory is fsynced.  On failure
    the temporary file is removed: PATH keeps its old content or gets the
    complete new file.
"""

import datetime
import errno
import math
import os
import stat

import numpy as np

from ilrl.errors import InputError, OutputError

FILE_KIND = "demonstration"
CONVENTIONS = "CF-1.8"
PACKAGE_NAME = "ilrl-landscape"
INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1
MAX_ACTIONS = 65536  # demo_io.c MAX_ACTIONS

# NetCDF's default fill values (netcdf.h NC_FILL_*) by numpy type code; the
# C reader refuses them where a variable has no _FillValue attribute.
# uint64 has none the reader can meet.
_DEFAULT_FILLS = {
    "i1": -127, "u1": 255, "i2": -32767, "u2": 65535, "i4": -2147483647,
    "u4": 4294967295, "i8": -9223372036854775806,
    "f4": float(np.float32(9.9692099683868690e+36)), "f8": 9.9692099683868690e+36,
}

# The types write_demo writes (it sets no _FillValue or missing_value), so
# the fills the C reader will refuse in its file.
_WRITTEN_TYPES = {"obs": "f8", "reward": "f8", "action": "i4",
                  "episode_start": "i8", "episode_length": "i4",
                  "terminated": "i1", "score": "i4", "final_obs": "f8"}
WRITTEN_FILLS = {name: (_DEFAULT_FILLS[code],) for name, code in _WRITTEN_TYPES.items()}

# Environments the C programs simulate; env = one of these enables
# ilrl-landscape --objective return.
SIMULATED_ENVS = ("flappy-bird", "cartpole")

# NetCDF type names of numpy dtypes, as the C reader names them in messages.
_NC_TYPE_NAMES = {
    "i1": "byte", "u1": "ubyte", "i2": "short", "u2": "ushort", "i4": "int",
    "u4": "uint", "i8": "int64", "u8": "uint64", "f4": "float", "f8": "double",
}


class DemoError(InputError):
    """A demonstration that breaks a rule of docs/formats.md (exit 3)."""


# ---- value formatting as C's printf does it ---------------------------------

def _g(value):
    """C's "%g" of a double (glibc writes "-nan" for a NaN with its sign set)."""
    value = float(value)
    if math.isnan(value):
        return "-nan" if math.copysign(1.0, value) < 0 else "nan"
    return "%g" % value


def _nc_type_name(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return "ubyte"
    return _NC_TYPE_NAMES.get(f"{dtype.kind}{dtype.itemsize}", dtype.name)


def _is_integer(dtype):
    return np.dtype(dtype).kind in "biu"


def _is_real(dtype):
    return np.dtype(dtype).kind in "biuf"


# ---- the demonstration as the C reader would see it -------------------------

class _Arrays:
    """The arrays and attributes of one demonstration, as given (integers
    kept in their own dtype until the int-fit rules have looked at them)."""

    def __init__(self, obs, action, reward, episode_start, episode_length,
                 terminated, score, n_actions, action_names, feature_names,
                 final_obs, fills=None):
        self.obs = obs
        self.action = action
        self.reward = reward
        self.episode_start = episode_start
        self.episode_length = episode_length
        self.terminated = terminated
        self.score = score
        self.n_actions = n_actions
        self.action_names = action_names
        self.feature_names = feature_names
        self.final_obs = final_obs
        # name -> the values that mean "never written" (see _first_fill)
        self.fills = WRITTEN_FILLS if fills is None else fills
        self.n_steps, self.n_features = obs.shape
        self.n_episodes = episode_start.shape[0]


# Each rule takes (arrays, origin) and returns None or the message.

def _rule_dimensions(d, origin):
    # demo_io.c read_dimension: step, feature, episode in that order
    for name, length, what in (("step", d.n_steps, "steps"),
                               ("feature", d.n_features, "observation features"),
                               ("episode", d.n_episodes, "episodes")):
        if length == 0:
            return f"{origin}: dimension '{name}' has length 0: the file holds no {what}"
    return None


def _rule_n_actions(d, origin):
    # demo_io.c read_n_actions (MAX_ACTIONS there says why the bound)
    if d.n_actions < 2 or d.n_actions > MAX_ACTIONS:
        return (f"{origin}: global attribute n_actions = {d.n_actions} must be "
                f">= 2 and <= {MAX_ACTIONS}")
    return None


def _rule_episode_count(d, origin):
    # demo_io.c read_contents, before anything of the episodes' size is read
    if d.n_episodes > d.n_steps:
        return (f"{origin}: dimension 'episode' = {d.n_episodes} is more than "
                f"dimension 'step' = {d.n_steps} (every episode has a step)")
    return None


def _rule_types(d, origin):
    # demo_io.c find_variable, in the order of its variable_spec table
    variables = (("obs", d.obs, "float"), ("action", d.action, "integer"),
                 ("reward", d.reward, "float"),
                 ("episode_start", d.episode_start, "integer"),
                 ("episode_length", d.episode_length, "integer"),
                 ("terminated", d.terminated, "integer"),
                 ("score", d.score, "integer"), ("final_obs", d.final_obs, "float"))
    for name, values, kind in variables:
        if values is None:
            continue
        # obs and reward are written as double: any real type converts.
        ok = _is_real(values.dtype) if kind == "float" else _is_integer(values.dtype)
        if not ok:
            expected = ("double (or float)" if kind == "float"
                        else "an integer type (int)")
            return (f"{origin}: variable '{name}' has type "
                    f"{_nc_type_name(values.dtype)}, expected {expected}")
    return None


def _first_outside_int(values):
    bad = np.flatnonzero((values < INT_MIN) | (values > INT_MAX))
    return int(bad[0]) if bad.size else None


def _fill_message(origin, name, index, columns, value):
    # ncfile.c refuse_value
    where = (f"{index // columns}, {index % columns}" if columns > 1
             else f"{index}")
    return (f"{origin}: {name}[{where}] = {_g(value)} is the fill value or "
            f"missing_value (never written, or marked missing)")


def _first_fill(d, name, values, integer):
    """ncfile.c ilrl_ncfile_refuse_fill(_integers): for each of the
    variable's fills in turn (_FillValue or the type's default, then
    missing_value), the index of the first value equal to it; None if
    there is none."""
    values = np.asarray(values)
    flat = values.reshape(-1)
    for fill in d.fills.get(name, ()):
        fill = float(fill)
        if math.isnan(fill):
            continue  # NaN equals nothing
        if integer:
            if not abs(fill) < 9.2e18 or fill != math.floor(fill):
                continue  # no integer equals it (int64's default fill)
            hits = np.flatnonzero(flat.astype(np.int64) == int(fill)) \
                if flat.dtype.kind != "u" else np.flatnonzero(flat == int(fill))
        else:
            hits = np.flatnonzero(flat.astype(np.float64) == fill)
        if hits.size:
            return int(hits[0])
    return None


def _rule_values_read(d, origin):
    # demo_io.c read_contents, in its order: obs, reward (read_doubles:
    # fills), action (read_ints: fills, then int range), episode_start
    # (fills), episode_length (fills, int range), terminated (read_flags:
    # fills, then 0/1), score (fills, int range), final_obs (read_doubles:
    # fills, after every other variable)
    def fill(name, values, integer):
        i = _first_fill(d, name, values, integer)
        if i is None:
            return None
        columns = d.n_features if name in ("obs", "final_obs") else 1
        return _fill_message(origin, name, i, columns, np.asarray(values).reshape(-1)[i])

    for name, values in (("obs", d.obs), ("reward", d.reward)):
        message = fill(name, values, False)
        if message:
            return message
    for name, values in (("action", d.action), ("episode_start", d.episode_start),
                         ("episode_length", d.episode_length),
                         ("terminated", d.terminated), ("score", d.score)):
        if values is None:
            continue
        message = fill(name, values, True)
        if message:
            return message
        if name == "terminated":
            bad = np.flatnonzero((values != 0) & (values != 1))
            if bad.size:
                i = int(bad[0])
                return (f"{origin}: terminated[{i}] = {int(values[i])} is not 0 "
                        f"(truncated) or 1 (terminated)")
        elif name != "episode_start":
            i = _first_outside_int(values)
            if i is not None:
                return (f"{origin}: {name}[{i}] = {int(values[i])} does not fit "
                        f"in an int")
    if d.final_obs is not None:
        return fill("final_obs", d.final_obs, False)
    return None


def _rule_episodes(d, origin):
    # demo.c validate_episodes: the first episode e that breaks a rule, and
    # the first of its rules in C's order
    start = d.episode_start.astype(np.int64)
    length = d.episode_length.astype(np.int64)
    expected = np.concatenate(([0], np.cumsum(length)))  # expected[e]: start of e
    n = d.n_steps
    bad = ((start != expected[:-1]) | (length < 1)
           | (start + length > n))
    hits = np.flatnonzero(bad)
    if hits.size:
        e = int(hits[0])
        s, l = int(start[e]), int(length[e])
        if e == 0 and s != 0:
            return (f"{origin}: episode_start[0] = {s} must be 0 (episodes lie "
                    f"back to back from the first step)")
        if s != int(expected[e]):
            return (f"{origin}: episode_start[{e}] = {s} is not contiguous: "
                    f"episode_start[{e - 1}] + episode_length[{e - 1}] = "
                    f"{int(expected[e])}")
        if l < 1:
            return f"{origin}: episode_length[{e}] = {l} must be >= 1"
        return (f"{origin}: episode_length[{e}] = {l} runs past the last step "
                f"(episode_start[{e}] = {s}, {n} steps in total)")
    if int(expected[-1]) != n:
        return (f"{origin}: episode_start/episode_length cover {int(expected[-1])} "
                f"of the {n} steps (episodes must cover every step)")
    return None


def _rule_steps(d, origin):
    # demo.c ilrl_demo_validate: for each step t in order, action[t] in
    # [0, K), then reward[t] finite, then obs[t, f] finite for each f
    n, k = d.n_steps, d.n_actions
    action = d.action
    bad_action = np.flatnonzero((action < 0) | (action >= k))
    bad_reward = np.flatnonzero(~np.isfinite(d.reward))
    bad_obs = np.flatnonzero(~np.isfinite(d.obs).all(axis=1))
    firsts = [int(b[0]) if b.size else n for b in (bad_action, bad_reward, bad_obs)]
    t = min(firsts)
    if t == n:
        return None
    if firsts[0] == t:
        return f"{origin}: action[{t}] = {int(action[t])} is outside [0, {k})"
    if firsts[1] == t:
        return f"{origin}: reward[{t}] = {_g(d.reward[t])} is not finite"
    f = int(np.flatnonzero(~np.isfinite(d.obs[t]))[0])
    return f"{origin}: obs[{t},{f}] = {_g(d.obs[t, f])} is not finite"


def _rule_final_obs(d, origin):
    # demo.c ilrl_demo_validate, after the steps: each final_obs row is
    # finite, or all NaN ("unknown"); the message prints row[0] for a row
    # that starts with NaN, as the C code does
    if d.final_obs is None:
        return None
    final = np.asarray(d.final_obs, dtype=np.float64)
    for e in range(final.shape[0]):
        row = final[e]
        unknown = math.isnan(row[0])
        bad = np.flatnonzero(~np.isnan(row) if unknown else ~np.isfinite(row))
        if bad.size:
            f = int(bad[0])
            return (f"{origin}: final_obs[{e},{f}] = {_g(row[0] if unknown else row[f])} "
                    f"is not finite"
                    + (" (a row is all NaN, meaning unknown, or finite)" if unknown else ""))
    return None


# The C reader's checks, in its order: (name, where in the C code, rule).
READER_RULES = (
    ("dimension-empty", "demo_io.c read_dimension", _rule_dimensions),
    ("n-actions", "demo_io.c read_n_actions", _rule_n_actions),
    ("episode-count", "demo_io.c read_contents", _rule_episode_count),
    ("variable-type", "demo_io.c find_variable", _rule_types),
    ("values-read", "demo_io.c read_doubles/read_ints/read_flags, "
                    "ncfile.c ilrl_ncfile_refuse_fill", _rule_values_read),
    ("episodes", "demo.c validate_episodes", _rule_episodes),
    ("steps", "demo.c ilrl_demo_validate", _rule_steps),
    ("final-obs", "demo.c ilrl_demo_validate", _rule_final_obs),
)


def _rule_names(d, origin):
    for attribute, names, count, what in (
            ("action_names", d.action_names, d.n_actions, "n_actions"),
            ("feature_names", d.feature_names, d.n_features, "features")):
        if names is None:
            continue
        for name in names:
            if "," in name or name != name.strip() or name == "":
                return (f"{origin}: {attribute}: name {name!r} is empty, has a "
                        f"comma or surrounding spaces (the attribute is "
                        f"comma-separated)")
        if len(names) != count:
            return (f"{origin}: {attribute} has {len(names)} names but {what} = "
                    f"{count}")
    return None


# Rules of write_demo that the C reader does not have.
WRITER_RULES = (
    ("names", "ilrl.demo only", _rule_names),
)


# ---- arguments -> arrays ------------------------------------------------------

_DIMENSIONS = {
    "obs": "(step, feature)", "action": "(step)", "reward": "(step)",
    "terminated": "(episode), or (step) for per-step flags",
    "truncated": "(step)", "episode_start": "(episode)",
    "episode_length": "(episode)", "score": "(episode)",
    "final_obs": "(episode, feature)",
}


def _array(name, values, origin, ndim):
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise DemoError(f"{origin}: {name} is not an array ({error})") from None
    if array.dtype.kind not in "biuf":
        raise DemoError(f"{origin}: {name} has values of type {array.dtype}, "
                        f"not numbers")
    if array.ndim != ndim:
        raise DemoError(f"{origin}: {name} has shape {array.shape}, expected "
                        f"{_DIMENSIONS[name]}")
    return array


def _length(origin, name, array, expected, of):
    if array.shape[0] != expected:
        raise DemoError(f"{origin}: {name} has {array.shape[0]} values, expected "
                        f"{expected} (one per {of})")


def _flags(name, values, n_steps, origin):
    flags = _array(name, values, origin, 1)
    _length(origin, name, flags, n_steps, "step")
    if flags.dtype.kind == "f" or not np.isin(flags, (0, 1)).all():
        raise DemoError(f"{origin}: {name} must hold 0/1 (or booleans), one per step")
    return flags.astype(bool)


def _names(value, origin, attribute):
    if value is None:
        return None
    if isinstance(value, str):
        return [name.strip() for name in value.split(",")]
    try:
        return [str(name) for name in value]
    except TypeError:
        raise DemoError(f"{origin}: {attribute} must be a list of names or a "
                        f"comma-separated string") from None


def _episodes_from_flags(terminated, truncated, n_steps):
    """Per-step flags -> episode_start, episode_length, terminated[episode]."""
    ends = terminated | truncated
    ends[-1] = True
    last = np.flatnonzero(ends)
    start = np.concatenate(([0], last[:-1] + 1)).astype(np.int64)
    length = (last + 1 - start).astype(np.int64)
    return start, length, terminated[last].astype(np.int64)


def demo_arrays(obs, action, reward, *, episode_start=None, episode_length=None,
                terminated=None,
                truncated=None, n_actions=None, action_names=None,
                feature_names=None, final_obs=None, score=None,
                origin="demonstration"):
    """The arguments of write_demo -> _Arrays, or DemoError for arguments no
    file could hold (wrong ranks, lengths that disagree)."""
    obs = _array("obs", obs, origin, 2)
    action = _array("action", action, origin, 1)
    reward = _array("reward", reward, origin, 1)
    n_steps = obs.shape[0]
    _length(origin, "action", action, n_steps, "step (row of obs)")
    _length(origin, "reward", reward, n_steps, "step (row of obs)")

    if episode_start is not None:
        if truncated is not None:
            raise DemoError(f"{origin}: give episode_start (with terminated per "
                            f"episode) or per-step terminated/truncated flags, "
                            f"not both")
        start = _array("episode_start", episode_start, origin, 1)
        n_episodes = start.shape[0]
        if terminated is None:
            raise DemoError(f"{origin}: episode_start needs terminated, one flag "
                            f"per episode (1 terminated, 0 truncated)")
        term = _array("terminated", terminated, origin, 1)
        _length(origin, "terminated", term, n_episodes, "episode")
        if term.dtype.kind == "b":
            term = term.astype(np.int8)
        if episode_length is not None:
            length = _array("episode_length", episode_length, origin, 1)
            _length(origin, "episode_length", length, n_episodes, "episode")
        elif _is_integer(start.dtype) and n_steps > 0:
            # lengths follow from the starts; the last episode ends at N
            bounds = np.concatenate((start.astype(np.int64), [n_steps]))
            length = np.diff(bounds)
        else:
            length = np.zeros(n_episodes, dtype=np.int64)
    elif episode_length is not None:
        raise DemoError(f"{origin}: episode_length needs episode_start")
    elif terminated is not None or truncated is not None:
        if n_steps == 0:
            start = length = term = np.zeros(0, dtype=np.int64)
        else:
            term_flags = (_flags("terminated", terminated, n_steps, origin)
                          if terminated is not None else np.zeros(n_steps, bool))
            trunc_flags = (_flags("truncated", truncated, n_steps, origin)
                           if truncated is not None else np.zeros(n_steps, bool))
            start, length, term = _episodes_from_flags(term_flags, trunc_flags,
                                                       n_steps)
        n_episodes = start.shape[0]
    else:
        raise DemoError(f"{origin}: say where episodes start: episode_start= "
                        f"with terminated=, or per-step terminated=/truncated= "
                        f"flags")

    if score is not None:
        score = _array("score", score, origin, 1)
        _length(origin, "score", score, n_episodes, "episode")
    if final_obs is not None:
        final_obs = _array("final_obs", final_obs, origin, 2).astype(np.float64)
        if final_obs.shape != (n_episodes, obs.shape[1]):
            raise DemoError(f"{origin}: final_obs has shape {final_obs.shape}, "
                            f"expected {(n_episodes, obs.shape[1])} (episode, "
                            f"feature)")

    action_names = _names(action_names, origin, "action_names")
    feature_names = _names(feature_names, origin, "feature_names")
    if n_actions is None:
        if action_names is not None:
            n_actions = len(action_names)
        elif _is_integer(action.dtype) and action.size:
            n_actions = max(int(action.max()) + 1, 2)
        else:
            n_actions = 2
    try:
        given, n_actions = n_actions, int(n_actions)
        if isinstance(given, (str, bytes)) or n_actions != given:
            raise ValueError  # 2.5 or "2": not an integer
    except (TypeError, ValueError, OverflowError):
        raise DemoError(f"{origin}: n_actions = {given!r} is not an "
                        f"integer") from None
    return _Arrays(obs, action, reward, start, length, term, score, n_actions,
                   action_names, feature_names, final_obs)


def check_arrays(arrays, origin):
    """Runs READER_RULES then WRITER_RULES; raises DemoError at the first
    broken rule."""
    for _name, _where, rule in READER_RULES + WRITER_RULES:
        message = rule(arrays, origin)
        if message is not None:
            raise DemoError(message)


# ---- writing ------------------------------------------------------------------

def _title(env, pilot, n_episodes):
    plural = "" if n_episodes == 1 else "s"
    if env and pilot:
        return f"Demonstration: {env}, pilot {pilot}, {n_episodes} episode{plural}"
    return f"Demonstration, {n_episodes} episode{plural}"


def _history(command):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{stamp}: {command or 'ilrl.demo.write_demo'}"


def _text(value):
    return "" if value is None else str(value)


def _write_netcdf(temp, d, attributes):
    import netCDF4

    dataset = netCDF4.Dataset(temp, "w", format="NETCDF4")
    try:
        dataset.set_fill_off()
        dataset.createDimension("step", d.n_steps)
        dataset.createDimension("feature", d.n_features)
        dataset.createDimension("episode", d.n_episodes)

        def variable(name, dtype, dims, long_name, units, values):
            var = dataset.createVariable(name, dtype, dims)
            var.long_name = long_name
            if units is not None:
                var.units = units
            var[...] = values
            return var

        variable("obs", "f8", ("step", "feature"), "observation s_t", "1",
                 d.obs.astype(np.float64))
        action = variable("action", "i4", ("step",),
                          "action a_t (index into action_names)", None,
                          d.action.astype(np.int32))
        action.valid_range = np.array([0, d.n_actions - 1], dtype=np.int32)
        variable("reward", "f8", ("step",), "reward r_t received after a_t", "1",
                 d.reward.astype(np.float64))
        variable("episode_start", "i8", ("episode",),
                 "index of the episode's first step", None,
                 d.episode_start.astype(np.int64))
        variable("episode_length", "i4", ("episode",),
                 "number of steps in the episode", None,
                 d.episode_length.astype(np.int32))
        variable("terminated", "i1", ("episode",),
                 "1 = terminated (crash or terminal state), 0 = truncated at "
                 "the step limit", None, d.terminated.astype(np.int8))
        if d.score is not None:
            variable("score", "i4", ("episode",),
                     "score of the episode (pipes passed)", "1",
                     d.score.astype(np.int32))
        if d.final_obs is not None:
            variable("final_obs", "f8", ("episode", "feature"),
                     "observation after the episode's last action (NaN: unknown)",
                     "1", d.final_obs)
        for name, value in attributes:
            if isinstance(value, str):
                # NC_CHAR, as the C writer writes text (an empty one too)
                dataset.setncattr(name, value if value else np.bytes_(b""))
            else:
                dataset.setncattr(name, value)
    finally:
        dataset.close()


def _fsync_path(path, directory=False):
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_output(path, force=False, hint="pass force=True to overwrite"):
    """Refuses (OutputError) a directory, or an existing file without force."""
    path = os.fspath(path)
    if path == "":
        raise OutputError("output file name is empty")
    if os.path.isdir(path):
        raise OutputError(f"{path} is a directory, not a file name")
    if os.path.lexists(path) and not force:
        raise OutputError(f"{path} exists ({hint})")
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise OutputError(f"{path}: {directory} is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write in directory {directory}: "
                          f"{os.strerror(errno.EACCES)}")


def write_demo(path, obs, action, reward, *, episode_start=None,
               episode_length=None, terminated=None, truncated=None, n_actions=None, env="",
               feature_names=None, action_names=None, final_obs=None,
               score=None, pilot="", seed=None, reward_scheme="", title=None,
               history=None, origin=None, force=False):
    """Writes a demonstration file; see docs/python.md.

    obs (N, D), action (N,), reward (N,): step t is (s_t, a_t, r_t).
    Episodes: episode_start (E,) with terminated (E,) (1 terminated,
    0 truncated) and optionally episode_length (E,) (default: up to the
    next start, the last one to the end), or per-step terminated=/truncated= flags (N,).
    Raises DemoError (exit 3) naming `origin` (default: path) at the first
    rule broken, OutputError (exit 4) when path exists without force or
    cannot be written.  Returns path.
    """
    path = os.fspath(path)
    origin = path if origin is None else origin
    d = demo_arrays(obs, action, reward, episode_start=episode_start,
                    episode_length=episode_length, terminated=terminated, truncated=truncated,
                    n_actions=n_actions, action_names=action_names,
                    feature_names=feature_names, final_obs=final_obs,
                    score=score, origin=origin)
    check_arrays(d, origin)
    if seed is not None and (int(seed) != seed or seed < 0):
        raise DemoError(f"{origin}: seed = {seed!r} must be an integer >= 0 "
                        f"(None when unknown)")
    check_output(path, force)

    version = _package_version()
    attributes = [
        ("Conventions", CONVENTIONS),
        ("title", title if title else _title(env, pilot, d.n_episodes)),
        ("history", _history(history)),
        ("source", f"{PACKAGE_NAME} {version} (python ilrl.demo)"),
        ("ilrl_file_kind", FILE_KIND),
        ("action_names", ",".join(d.action_names) if d.action_names else ""),
        ("feature_names", ",".join(d.feature_names) if d.feature_names else ""),
        ("env", _text(env)),
        ("pilot", _text(pilot)),
        ("reward_scheme", _text(reward_scheme)),
        ("n_actions", np.int32(d.n_actions)),
    ]
    if seed is not None:  # an unknown seed is left out rather than invented
        attributes.append(("seed", np.int64(seed)))

    return write_atomically(path, force, _size_estimate(d, attributes),
                            lambda temp: _write_netcdf(temp, d, attributes))


def write_atomically(path, force, size, write):
    """Publishes a file the way the C programs do: `write(temp)` fills a
    temporary next to `path` (`size` bytes reserved first), which is synced
    and then linked, or with force renamed, into place; the temporary is
    gone on every path.  OutputError (4) names the file; returns path.
    The caller has checked the target (check_output)."""
    directory = os.path.dirname(path) or "."
    temp = os.path.join(directory, f"{os.path.basename(path)}.tmp.{os.getpid()}")
    try:
        _reserve(path, temp, size)
        try:
            write(temp)
            _fsync_path(temp)
        except (OSError, RuntimeError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            raise OutputError(f"{path}: cannot write temporary file {temp}: "
                              f"{reason} ({path} not written)") from None
        _publish(temp, path, force)
    finally:
        if os.path.lexists(temp):
            try:
                os.unlink(temp)
            except OSError:
                pass
    return path


def _size_estimate(d, attributes):
    """An upper bound of the file's size: the arrays plus room for HDF5's
    metadata (demo_io.c's size_estimate, plus final_obs)."""
    text = sum(len(value) for _name, value in attributes if isinstance(value, str))
    final = d.n_episodes * d.n_features * 8 if d.final_obs is not None else 0
    return (65536 + d.n_steps * (d.n_features * 8 + 12) + d.n_episodes * 24
            + final + text)


def _reserve(path, temp, size):
    """Creates the temporary and claims `size` bytes for it, as
    output_file.c does: HDF5 does not survive a failed write (a close that
    cannot flush, then a crash in its exit handler), so a full disk, a
    quota or a file-size limit must show up here, before it writes."""
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC
                     | getattr(os, "O_NOFOLLOW", 0), 0o666)
    except OSError as error:
        raise OutputError(f"{path}: cannot create temporary file {temp}: "
                          f"{error.strerror}") from None
    failure = None
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
            failure = error
    finally:
        os.close(fd)
    if failure is not None:
        raise OutputError(f"{path}: no room for the file ({size / 1e6:.1f} MB) "
                          f"in its directory: {failure.strerror}")


def _publish(temp, path, force):
    try:
        if force:
            os.replace(temp, path)
        else:
            try:
                os.link(temp, path)
            except FileExistsError:
                raise OutputError(f"{path} exists (pass force=True to "
                                  f"overwrite)") from None
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV,
                                       errno.EMLINK):
                    raise
                # no hard links here: rename, having looked once more
                if os.path.lexists(path):
                    raise OutputError(f"{path} exists (pass force=True to "
                                      f"overwrite)") from None
                os.rename(temp, path)
        _fsync_path(os.path.dirname(path) or ".", directory=True)
    except OutputError:
        raise
    except OSError as error:
        raise OutputError(f"{path}: cannot put the file in place: "
                          f"{error.strerror or error} ({path} not written)") from None


def _package_version():
    from ilrl import __version__
    return __version__


# ---- reading ------------------------------------------------------------------

_LAYOUT = (("obs", ("step", "feature")), ("action", ("step",)),
           ("reward", ("step",)), ("episode_start", ("episode",)),
           ("episode_length", ("episode",)), ("terminated", ("episode",)),
           ("score", ("episode",)), ("final_obs", ("episode", "feature")))


# ncfile.c COMPRESSION_BOUND: deflate's largest ratio is about 1032:1.
COMPRESSION_BOUND = 1100.0
_SIZE_ORDER = ("obs", "action", "reward", "episode_start", "episode_length",
               "terminated", "score", "final_obs")   # demo_io.c's variable_spec


def _physical_memory():
    try:
        pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGESIZE")
    except (ValueError, OSError):
        return 0.0
    return float(pages) * float(page) if pages > 0 and page > 0 else 0.0


def _check_sizes(path):
    """ncfile.c ilrl_ncfile_check_size, before anything is loaded: every
    variable of the schema within what the file can hold (times 1100 when
    it is compressed) and within 80% of the machine's memory, so that a
    26 kB file declaring 10^8 steps is refused at once rather than read.
    The C reader checks a variable's size right after its type and
    dimensions; a file whose variable is both mistyped and oversized is
    named for its size here (the C reader names the type)."""
    import netCDF4
    try:
        nc = netCDF4.Dataset(path)
    except (OSError, RuntimeError, ValueError):
        return   # open_demo says why it cannot be read
    with nc:
        if getattr(nc, "ilrl_file_kind", FILE_KIND) != FILE_KIND:
            return   # open_demo names the kind
        size = os.stat(path).st_size
        for name in _SIZE_ORDER:
            if name not in nc.variables:
                continue
            variable = nc.variables[name]
            lengths = [len(nc.dimensions[d]) for d in variable.dimensions]
            values = float(np.prod(lengths, dtype=np.float64))
            nbytes = values * variable.dtype.itemsize
            filters = variable.filters() or {}
            compressed = any(bool(filters.get(key)) for key in
                             ("zlib", "szip", "zstd", "bzip2", "blosc", "shuffle",
                              "fletcher32"))
            shape = " x ".join(str(length) for length in lengths)
            if nbytes > size * (COMPRESSION_BOUND if compressed else 1.0):
                raise DemoError(f"{path}: variable '{name}' declares {shape} values "
                                f"({nbytes:.3g} bytes), more than the file's {size} "
                                f"bytes can hold{' even compressed' if compressed else ''}")
            memory = _physical_memory()
            if memory > 0 and nbytes > 0.8 * memory:
                raise DemoError(f"{path}: variable '{name}' declares {shape} values "
                                f"({nbytes / 1073741824.0:.1f} GiB), more than this "
                                f"machine's memory ({memory / 1073741824.0:.1f} GiB)")


def _check_layout(dataset, dimensions, path):
    """What demo_io.c checks before the values: dimensions (the file's:
    xarray lists only those that variables use), n_actions, variables and
    their dimensions (types are READER_RULES')."""
    for name in ("step", "feature", "episode"):
        if name not in dimensions:
            raise DemoError(f"{path}: dimension '{name}' is missing (a "
                            f"demonstration needs step, feature and episode)")
    n_actions = dataset.attrs.get("n_actions")
    if n_actions is None:
        raise DemoError(f"{path}: global attribute n_actions is missing (the "
                        f"number of actions K)")
    n_actions = np.asarray(n_actions)
    if n_actions.size != 1 or not _is_integer(n_actions.dtype):
        raise DemoError(f"{path}: global attribute n_actions must be one integer "
                        f"(the number of actions K)")
    for name, dims in _LAYOUT:
        if name not in dataset.variables:
            if name in ("score", "final_obs"):
                continue
            raise DemoError(f"{path}: variable '{name}' is missing")
        got = dataset[name].dims
        if tuple(got) != dims:
            raise DemoError(f"{path}: variable '{name}' has dimensions "
                            f"({', '.join(got)}), expected ({', '.join(dims)})")


_FILE_TYPES = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
               (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_regular(path):
    """ncfile.c ilrl_ncfile_open: only regular files are read (stat, not
    open: opening a FIFO would block until a writer comes)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise DemoError(f"{path}: cannot open: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        raise DemoError(f"{path}: is a directory, not a NetCDF file")
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_TYPES if test(mode)),
                    "not a regular file")
        raise DemoError(f"{path}: {kind}, not a NetCDF file (only regular files "
                        f"are read)")


def _one_number(variable, attribute):
    """The attribute's value if it is one number (ncfile.c fill_values)."""
    value = np.asarray(variable.getncattr(attribute))
    if value.size != 1 or value.dtype.kind not in "biuf":
        return None
    return value.reshape(-1)[0].item()


def _file_fills(variable):
    """ncfile.c fill_values: _FillValue if the variable has one, else its
    type's default fill; then missing_value."""
    fills = []
    attributes = variable.ncattrs()
    if "_FillValue" in attributes:
        fill = _one_number(variable, "_FillValue")
        if fill is not None:
            fills.append(fill)
    else:
        dtype = np.dtype(variable.dtype) if not isinstance(variable.dtype, str) else None
        code = f"{dtype.kind}{dtype.itemsize}" if dtype is not None else ""
        if code in _DEFAULT_FILLS:
            fills.append(_DEFAULT_FILLS[code])
    if "missing_value" in attributes:
        missing = _one_number(variable, "missing_value")
        if missing is not None:
            fills.append(missing)
    return tuple(fills)


def open_demo(path, validate=True):
    """Reads a demonstration file into an xarray.Dataset (loaded, file closed).

    Refuses (DemoError) a file whose ilrl_file_kind is not "demonstration"
    and, with validate, one that breaks a rule of READER_RULES (the C
    reader's), with the C reader's message.  A missing or unreadable file
    is a DemoError too (exit 3).
    """
    import xarray

    path = os.fspath(path)
    _check_regular(path)
    if validate:
        _check_sizes(path)
    try:
        with xarray.open_dataset(path, engine="netcdf4", mask_and_scale=False,
                                 decode_times=False) as dataset:
            dataset = dataset.load()
    except FileNotFoundError:
        raise DemoError(f"{path}: cannot open: {os.strerror(errno.ENOENT)}") from None
    except (OSError, ValueError, RuntimeError) as error:
        raise DemoError(f"{path}: not a readable NetCDF file ({error})") from None
    kind = dataset.attrs.get("ilrl_file_kind")
    if kind is not None and kind != FILE_KIND:
        raise DemoError(f'{path}: ilrl_file_kind = "{kind}", expected "{FILE_KIND}"')
    if validate:
        import netCDF4
        with netCDF4.Dataset(path) as nc:
            dimensions = set(nc.dimensions)
            fills = {name: _file_fills(nc.variables[name])
                     for name in _WRITTEN_TYPES if name in nc.variables}
        _check_layout(dataset, dimensions, path)
        n_actions = np.asarray(dataset.attrs["n_actions"])
        d = _Arrays(dataset["obs"].values, dataset["action"].values,
                    dataset["reward"].values, dataset["episode_start"].values,
                    dataset["episode_length"].values,
                    dataset["terminated"].values,
                    dataset["score"].values if "score" in dataset else None,
                    int(n_actions.reshape(-1)[0]), None, None,
                    dataset["final_obs"].values if "final_obs" in dataset else None,
                    fills)
        for _name, _where, rule in READER_RULES:
            message = rule(d, path)
            if message is not None:
                raise DemoError(message)
    return dataset
