"""ilrl.importers -- other people's demonstration datasets -> ilrl.demo.

load(path, format=None) reads one of
  minari  a Minari dataset directory: data/metadata.json (spaces serialised
          by Minari as JSON strings, data_format "hdf5"; before Minari 0.4
          the same keys were attributes of main_data.hdf5) and
          data/main_data.hdf5 with one group episode_{i} per episode holding
          observations (T+1, D), actions (T,), rewards (T,), terminations
          (T,), truncations (T,);
  d4rl    an HDF5 file with flat observations (N, D), actions (N,),
          rewards (N,), terminals (N,), timeouts (N,) (absent in D4RL v0
          files) and optionally next_observations (N, D);
  npz     a NumPy .npz archive with the keys of d4rl,
and returns a Dataset whose fields are write_demo's arguments.

Only what ilrl-landscape can use is accepted: discrete actions (a Discrete
action space; integer actions, or floats holding integers) and flat
observations (one vector per step).  A Box action space, a non-integer
action, image observations, Dict/Tuple spaces are refused with an
ImportInputError (exit 3) saying which and why.

Episodes and final observations:
  - Minari: episode e has T = len(actions) steps; it is terminated when
    terminations[T-1] is set, truncated otherwise (truncations[T-1] set,
    or a collection stopped mid-episode).  final_obs[e] = observations[T],
    the observation after the last action, for every episode.
  - d4rl/npz: an episode ends after every row whose terminals or timeouts
    flag is set, and after the last row (an episode cut by the end of the
    file is truncated).  final_obs of an episode is next_observations of
    its last row when the file has next_observations.  Without it the
    final observations are unknown (NaN): the next row's observation is
    the first of the next episode, not the final one, so it is not used.
  - A D4RL v0 file has no timeouts: time-limit ends are not marked, so
    episodes split only at terminals and a time-limit end merges two
    episodes.  The loader says so in `notes` (ilrl-import prints them).
"""

import json
import os
import re

import numpy as np

from ilrl.errors import InputError

FORMATS = ("minari", "d4rl", "npz")
FLAT_KEYS = ("observations", "actions", "rewards", "terminals")


class ImportInputError(InputError):
    """An input dataset that cannot be converted (exit 3)."""


class Dataset:
    """write_demo's arguments: obs, action, reward, episode_start,
    terminated (per episode), final_obs, n_actions (None: from the data),
    env_id (the source's environment name, "" if unknown), pilot (a name
    for the source), notes (lines for the user)."""

    def __init__(self, obs, action, reward, episode_start, terminated,
                 final_obs, n_actions, env_id, pilot, notes):
        self.obs = obs
        self.action = action
        self.reward = reward
        self.episode_start = episode_start
        self.terminated = terminated
        self.final_obs = final_obs
        self.n_actions = n_actions
        self.env_id = env_id
        self.pilot = pilot
        self.notes = notes


# ---- shared checks --------------------------------------------------------------

def _flat_observations(origin, name, values):
    """(N, D) float64 from (N, D) or (N,); images and objects refused."""
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise ImportInputError(f"{origin}: {name} hold {values.dtype} values, not "
                               f"numbers (only flat numeric observations are "
                               f"supported)")
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2:
        raise ImportInputError(f"{origin}: {name} have shape {values.shape}: one "
                               f"observation is an array of shape "
                               f"{values.shape[1:]} (an image?); only flat "
                               f"observations (one vector per step) are supported")
    return values.astype(np.float64)


def _discrete_actions(origin, name, values, start=0):
    """(N,) int64 from integers, or floats that hold integers."""
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ImportInputError(f"{origin}: {name} have shape {values.shape}: a "
                               f"vector per step is a continuous (Box) action "
                               f"space; only discrete actions are supported")
    if values.dtype.kind == "b":
        values = values.astype(np.int64)
    if values.dtype.kind == "f":
        fractional = np.flatnonzero(~np.isfinite(values) | (values != np.round(values)))
        if fractional.size:
            i = int(fractional[0])
            raise ImportInputError(f"{origin}: {name}[{i}] = {float(values[i])!r} is not "
                                   f"an integer: continuous actions are not "
                                   f"supported, only discrete ones")
        if values.size and np.abs(values).max() >= 2 ** 53:
            raise ImportInputError(f"{origin}: {name} hold floats too large to be "
                                   f"action indices")
        values = values.astype(np.int64)
    elif values.dtype.kind not in "iu":
        raise ImportInputError(f"{origin}: {name} hold {values.dtype} values, not "
                               f"integers: only discrete actions are supported")
    values = values.astype(np.int64)
    return values - start if start else values


def _flags(origin, name, values, n):
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (n,):
        raise ImportInputError(f"{origin}: {name} has shape {values.shape}, "
                               f"expected ({n},) like actions")
    if values.dtype.kind not in "biuf" or not np.isin(values, (0, 1)).all():
        raise ImportInputError(f"{origin}: {name} must hold 0/1 or booleans")
    return values.astype(bool)


def _rewards(origin, name, values, n):
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.shape != (n,) or values.dtype.kind not in "biuf":
        raise ImportInputError(f"{origin}: {name} has shape {values.shape} and "
                               f"type {values.dtype}, expected ({n},) numbers "
                               f"like actions")
    return values.astype(np.float64)


# ---- Minari ----------------------------------------------------------------------

def _space(origin, metadata, key):
    """The space dict of metadata.json (Minari stores it as a JSON string)."""
    space = metadata.get(key)
    if space is None:
        return None
    if isinstance(space, str):
        try:
            space = json.loads(space)
        except ValueError as error:
            raise ImportInputError(f"{origin}: {key} is not valid JSON "
                                   f"({error})") from None
    if not isinstance(space, dict) or "type" not in space:
        raise ImportInputError(f"{origin}: {key} is not a serialised Gymnasium "
                               f"space")
    return space


def _minari_paths(path):
    """(metadata.json or None, main_data.hdf5) for a dataset directory, its
    data/ directory, or main_data.hdf5 itself."""
    if os.path.isdir(path):
        for data in (os.path.join(path, "data"), path):
            main = os.path.join(data, "main_data.hdf5")
            if os.path.isfile(main):
                metadata = os.path.join(data, "metadata.json")
                return (metadata if os.path.isfile(metadata) else None), main
        raise ImportInputError(f"{path}: not a Minari dataset directory (no "
                               f"data/main_data.hdf5; a Minari dataset in the "
                               f"arrow format is not supported)")
    metadata = os.path.join(os.path.dirname(path), "metadata.json")
    return (metadata if os.path.isfile(metadata) else None), path


def _read_metadata(path):
    try:
        with open(path, encoding="utf-8") as stream:
            metadata = json.load(stream)
    except OSError as error:
        raise ImportInputError(f"{path}: cannot read: {error.strerror}") from None
    except ValueError as error:
        raise ImportInputError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(metadata, dict):
        raise ImportInputError(f"{path}: not a Minari metadata object")
    return metadata


def _minari_action_space(origin, space):
    """(n_actions, start) of a Discrete space; refuses everything else."""
    kind = space.get("type")
    if kind == "Box":
        raise ImportInputError(f"{origin}: action_space is Box (continuous "
                               f"actions, shape {space.get('shape')}); only "
                               f"Discrete action spaces are supported")
    if kind != "Discrete":
        raise ImportInputError(f"{origin}: action_space is {kind}; only Discrete "
                               f"action spaces are supported")
    try:
        return int(space["n"]), int(space.get("start", 0))
    except (KeyError, TypeError, ValueError):
        raise ImportInputError(f"{origin}: action_space is Discrete without a "
                               f"valid n") from None


def _minari_observation_space(origin, space):
    kind = space.get("type")
    if kind in ("Dict", "Tuple", "Text"):
        raise ImportInputError(f"{origin}: observation_space is {kind}; only "
                               f"flat observations (a Box of one dimension) are "
                               f"supported")
    if kind == "Box":
        shape = space.get("shape") or []
        if len(shape) > 1:
            raise ImportInputError(f"{origin}: observation_space is a Box of "
                                   f"shape {tuple(shape)} (an image?); only flat "
                                   f"observations (a Box of one dimension) are "
                                   f"supported")


def _root_attributes(main):
    import h5py

    try:
        with h5py.File(main, "r") as h5:
            attributes = {}
            for key, value in h5.attrs.items():
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                elif isinstance(value, np.generic):
                    value = value.item()
                attributes[key] = value
            return attributes
    except OSError as error:
        raise ImportInputError(f"{main}: not a readable HDF5 file ({error})") from None


def _episode_index(name):
    match = re.fullmatch(r"episode_(\d+)", name)
    return int(match.group(1)) if match else None


def load_minari(path):
    import h5py

    metadata_path, main = _minari_paths(path)
    metadata = _read_metadata(metadata_path) if metadata_path else {}
    meta_origin = metadata_path or main
    if not metadata:
        # Minari before 0.4 kept the metadata as attributes of the file
        metadata = _root_attributes(main)
    data_format = metadata.get("data_format", "hdf5")
    if data_format != "hdf5":
        raise ImportInputError(f"{meta_origin}: data_format is {data_format!r}; "
                               f"only Minari's hdf5 format is supported")
    n_actions, start = None, 0
    action_space = _space(meta_origin, metadata, "action_space")
    if action_space is not None:
        n_actions, start = _minari_action_space(meta_origin, action_space)
    observation_space = _space(meta_origin, metadata, "observation_space")
    if observation_space is not None:
        _minari_observation_space(meta_origin, observation_space)

    try:
        h5 = h5py.File(main, "r")
    except OSError as error:
        raise ImportInputError(f"{main}: not a readable HDF5 file ({error})") from None
    obs, action, reward, terminated, final_obs, starts = [], [], [], [], [], []
    n_steps = 0
    with h5:
        names = {}
        for name in h5.keys():
            index = _episode_index(name)
            if index is not None:
                names[index] = name
        if not names:
            raise ImportInputError(f"{main}: no episode_<i> groups: not a Minari "
                                   f"main_data.hdf5")
        for index in sorted(names):
            group = h5[names[index]]
            where = f"{main}: {names[index]}"
            if not isinstance(group, h5py.Group):
                raise ImportInputError(f"{where} is not a group")
            for key in ("observations", "actions", "rewards", "terminations",
                        "truncations"):
                if key not in group:
                    raise ImportInputError(f"{where}: '{key}' is missing")
            if isinstance(group["observations"], h5py.Group):
                raise ImportInputError(f"{where}: observations are a group (a Dict "
                                       f"or Tuple observation space); only flat "
                                       f"observations are supported")
            if isinstance(group["actions"], h5py.Group):
                raise ImportInputError(f"{where}: actions are a group (a Dict or "
                                       f"Tuple action space); only Discrete "
                                       f"actions are supported")
            a = _discrete_actions(where, "actions", group["actions"][()], start)
            t = a.shape[0]
            if t == 0:
                raise ImportInputError(f"{where}: an episode of no steps")
            o = _flat_observations(where, "observations", group["observations"][()])
            if o.shape[0] != t + 1:
                raise ImportInputError(f"{where}: observations has {o.shape[0]} "
                                       f"rows, expected {t + 1} (one more than "
                                       f"the {t} actions: Minari keeps the final "
                                       f"observation)")
            r = _rewards(where, "rewards", group["rewards"][()], t)
            terminations = _flags(where, "terminations", group["terminations"][()], t)
            _flags(where, "truncations", group["truncations"][()], t)
            starts.append(n_steps)
            n_steps += t
            obs.append(o[:t])
            final_obs.append(o[t])
            action.append(a)
            reward.append(r)
            terminated.append(1 if terminations[-1] else 0)
        if len({o.shape[1] for o in obs}) != 1:
            raise ImportInputError(f"{main}: episodes have observations of "
                                   f"different sizes")

    env_id = ""
    spec = metadata.get("env_spec")
    if isinstance(spec, str):
        try:
            spec = json.loads(spec)
        except ValueError:
            spec = None
    if isinstance(spec, dict) and isinstance(spec.get("id"), str):
        env_id = spec["id"]
    dataset_id = metadata.get("dataset_id")
    pilot = f"minari:{dataset_id}" if isinstance(dataset_id, str) else "minari"
    notes = []
    if n_actions is None:
        notes.append(f"{meta_origin}: no action_space in the metadata: the number "
                     f"of actions comes from the largest action")
    return Dataset(np.concatenate(obs), np.concatenate(action),
                   np.concatenate(reward), np.array(starts, dtype=np.int64),
                   np.array(terminated, dtype=np.int64), np.stack(final_obs),
                   n_actions, env_id, pilot, notes)


# ---- D4RL-style flat arrays -----------------------------------------------------------

def _from_flat(origin, get, keys, pilot):
    """Flat arrays (dict-like get(key)) -> Dataset."""
    notes = []
    for key in FLAT_KEYS:
        if key not in keys:
            raise ImportInputError(f"{origin}: '{key}' is missing (a D4RL-style "
                                   f"file has observations, actions, rewards, "
                                   f"terminals and timeouts)")
    action = _discrete_actions(origin, "actions", get("actions"))
    n = action.shape[0]
    if n == 0:
        raise ImportInputError(f"{origin}: actions is empty: no steps")
    obs = _flat_observations(origin, "observations", get("observations"))
    if obs.shape[0] != n:
        raise ImportInputError(f"{origin}: observations has {obs.shape[0]} rows, "
                               f"actions {n}: one row per step expected")
    reward = _rewards(origin, "rewards", get("rewards"), n)
    terminals = _flags(origin, "terminals", get("terminals"), n)
    if "timeouts" in keys:
        timeouts = _flags(origin, "timeouts", get("timeouts"), n)
    else:
        timeouts = np.zeros(n, dtype=bool)
        notes.append(f"{origin}: no 'timeouts' (a D4RL v0 file): episodes end "
                     f"only at terminals, so an episode cut by a time limit runs "
                     f"on into the next one")
    ends = terminals | timeouts
    if not ends[-1]:
        notes.append(f"{origin}: the last episode has no terminal or timeout "
                     f"flag: it is kept as truncated by the end of the file")
    ends[-1] = True
    last = np.flatnonzero(ends)
    episode_start = np.concatenate(([0], last[:-1] + 1)).astype(np.int64)
    terminated = terminals[last].astype(np.int64)
    if "next_observations" in keys:
        following = _flat_observations(origin, "next_observations",
                                       get("next_observations"))
        if following.shape != obs.shape:
            raise ImportInputError(f"{origin}: next_observations has shape "
                                   f"{following.shape}, observations "
                                   f"{obs.shape}")
        final_obs = following[last]
    else:
        final_obs = np.full((last.size, obs.shape[1]), np.nan)
        if not terminated.all():
            notes.append(f"{origin}: no 'next_observations': the final "
                         f"observations of truncated episodes are unknown "
                         f"(NaN in final_obs; the next row is the next "
                         f"episode's first observation, not this one's final)")
    return Dataset(obs, action, reward, episode_start, terminated, final_obs,
                   None, "", pilot, notes)


def load_d4rl(path):
    import h5py

    try:
        h5 = h5py.File(path, "r")
    except OSError as error:
        raise ImportInputError(f"{path}: not a readable HDF5 file ({error})") from None
    with h5:
        keys = set(h5.keys())
        for key in keys & set(FLAT_KEYS + ("timeouts", "next_observations")):
            if isinstance(h5[key], h5py.Group):
                raise ImportInputError(f"{path}: '{key}' is a group (Dict or Tuple "
                                       f"data); only flat arrays are supported")
        if "observations" not in keys and any(_episode_index(k) is not None
                                              for k in keys):
            raise ImportInputError(f"{path}: holds episode_<i> groups: a Minari "
                                   f"file (use --format minari, or give the "
                                   f"dataset directory)")
        return _from_flat(path, lambda key: h5[key][()], keys,
                          f"d4rl:{os.path.basename(path)}")


def load_npz(path):
    try:
        archive = np.load(path, allow_pickle=False)
    except OSError as error:
        raise ImportInputError(f"{path}: cannot read: "
                               f"{error.strerror or error}") from None
    except ValueError as error:
        raise ImportInputError(f"{path}: not a NumPy .npz archive ({error})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ImportInputError(f"{path}: a single .npy array, not an .npz "
                               f"archive of named arrays")
    with archive:
        def get(key):
            try:
                return archive[key]
            except ValueError:
                raise ImportInputError(f"{path}: '{key}' holds Python objects "
                                       f"(pickled; dicts or ragged lists?): only "
                                       f"numeric arrays are supported") from None
        return _from_flat(path, get, set(archive.files),
                          f"npz:{os.path.basename(path)}")


# ---- dispatch --------------------------------------------------------------------------

def guess_format(path):
    """minari, d4rl or npz from the path (a directory is Minari); None if
    it cannot tell."""
    if os.path.isdir(path):
        return "minari"
    if path.lower().endswith(".npz"):
        return "npz"
    try:
        with open(path, "rb") as stream:
            head = stream.read(8)
    except OSError:
        return None
    if head == b"\x89HDF\r\n\x1a\n":
        if os.path.basename(path) == "main_data.hdf5":
            return "minari"
        return "d4rl"
    if head[:2] == b"PK":
        return "npz"
    return None


def load(path, format=None):
    """Reads a dataset; `format` one of FORMATS or None to guess."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ImportInputError(f"{path}: cannot open: No such file or directory")
    if format is None:
        format = guess_format(path)
        if format is None:
            raise ImportInputError(f"{path}: not a Minari dataset directory, an "
                                   f"HDF5 file or a NumPy .npz archive")
    if format == "minari":
        return load_minari(path)
    if format == "d4rl":
        return load_d4rl(path)
    if format == "npz":
        return load_npz(path)
    raise ValueError(f"unknown format {format!r}")
