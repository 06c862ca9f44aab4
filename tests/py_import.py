"""py_import.py -- ilrl-import converts Minari, D4RL and .npz datasets made
here with h5py/numpy in those tools' layouts, the C reader reads the result
and ilrl-landscape computes a landscape on 2 ranks; bad layouts are refused
with exit 3 and one line; command-line and output errors exit 2 and 4.

Run by tests/py_import.sh: argv = ilrl-import, ilrl-landscape, ilrl-demo,
mpirun command (words); cwd = a scratch directory.
"""

import hashlib
import json
import os
import subprocess
import sys

import h5py
import netCDF4
import numpy as np
from pycheck import FAILURES, check

IMPORT, LANDSCAPE, DEMO = sys.argv[1:4]
MPIRUN = sys.argv[4].split()


def run(args, timeout=300):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def expect(status, args, stderr_start=None, name=None):
    """Runs ilrl-import ARGS; checks the status and, for failures, one line
    starting "ilrl-import: " + stderr_start."""
    got, out, err = run([IMPORT] + args)
    name = name or " ".join(args)
    check(got == status, f"{name}: exit {got}, expected {status} ({err.strip()})")
    if status not in (0,) and stderr_start is not None:
        check(err.count("\n") == 1, f"{name}: stderr is not one line: {err!r}")
        check(err.startswith(f"ilrl-import: {stderr_start}"),
              f"{name}: stderr {err!r} does not start with "
              f"'ilrl-import: {stderr_start}'")
    check("Traceback" not in err, f"{name}: traceback on stderr")
    return err


def read_nc(path):
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_mask(False)
        data = {name: nc[name][...] for name in nc.variables}
        data["attrs"] = {name: nc.getncattr(name) for name in nc.ncattrs()}
    return data


def landscape_ok(demo_path, tag):
    """mpirun -n 2 ilrl-landscape on the file; the IL surface is finite."""
    out = f"land-{tag}.nc"
    status, _, err = run(MPIRUN + ["-n", "2", LANDSCAPE, "--demo", demo_path,
                                   "--nx", "5", "--ny", "5", "--quiet",
                                   "--out", out])
    check(status == 0, f"{tag}: ilrl-landscape exit {status}: {err.strip()}")
    if status == 0:
        with netCDF4.Dataset(out) as nc:
            il = np.asarray(nc["il_loss"][...])
            check(il.shape == (5, 5) and np.isfinite(il).all(),
                  f"{tag}: il_loss {il}")


# ---- the episodes every format carries ------------------------------------------

RNG = np.random.default_rng(11)
# (length, terminated, truncated): ends by termination, time limit, termination
EPISODES = [(5, True, False), (4, False, True), (6, True, False)]
D = 3


def episodes():
    out = []
    for t, term, trunc in EPISODES:
        obs = RNG.normal(size=(t + 1, D)).astype(np.float32)
        actions = RNG.integers(0, 2, size=t)
        rewards = RNG.normal(size=t)
        terminations = np.zeros(t, bool)
        truncations = np.zeros(t, bool)
        terminations[-1] = term
        truncations[-1] = trunc
        out.append((obs, actions, rewards, terminations, truncations))
    return out


EPS = episodes()
OBS = np.concatenate([e[0][:-1] for e in EPS]).astype(np.float64)
ACTIONS = np.concatenate([e[1] for e in EPS])
REWARDS = np.concatenate([e[2] for e in EPS])
FINAL = np.stack([e[0][-1] for e in EPS]).astype(np.float64)
STARTS = [0, 5, 9]
LENGTHS = [5, 4, 6]
TERMINATED = [1, 0, 1]


def check_converted(path, tag, final_known=(True, True, True), obs=OBS,
                    actions=ACTIONS):
    d = read_nc(path)
    check(np.array_equal(d["obs"], obs), f"{tag}: obs differ")
    check(np.array_equal(d["action"], actions), f"{tag}: actions differ")
    check(np.array_equal(d["reward"], REWARDS), f"{tag}: rewards differ")
    check(list(d["episode_start"]) == STARTS, f"{tag}: starts {d['episode_start']}")
    check(list(d["episode_length"]) == LENGTHS, f"{tag}: lengths {d['episode_length']}")
    check(list(d["terminated"]) == TERMINATED, f"{tag}: terminated {d['terminated']}")
    check(d["attrs"]["ilrl_file_kind"] == "demonstration", f"{tag}: file kind")
    for e, known in enumerate(final_known):
        if known:
            check(np.array_equal(d["final_obs"][e], FINAL[e]),
                  f"{tag}: final_obs[{e}] {d['final_obs'][e]} != {FINAL[e]}")
        else:
            check(np.isnan(d["final_obs"][e]).all(),
                  f"{tag}: final_obs[{e}] should be unknown (NaN)")
    return d


# ---- Minari ---------------------------------------------------------------------

def space_box(shape):
    return json.dumps({"type": "Box", "dtype": "float32", "shape": list(shape),
                       "low": np.full(shape, -10.0).tolist(),
                       "high": np.full(shape, 10.0).tolist()})


def space_discrete(n, start=0):
    return json.dumps({"type": "Discrete", "dtype": "int64", "start": start, "n": n})


def make_minari(root, action_space=None, observation_space=None,
                action_offset=0, dict_obs=False, obs_shape=None):
    """A dataset directory as Minari's HDF5 storage writes it."""
    data = os.path.join(root, "data")
    os.makedirs(data)
    metadata = {
        "dataset_id": "cartpole/test-v0", "total_episodes": len(EPS),
        "total_steps": int(sum(LENGTHS)), "data_format": "hdf5",
        "observation_space": observation_space or space_box([D]),
        "action_space": action_space or space_discrete(2, action_offset),
        "env_spec": json.dumps({"id": "CartPole-v1", "max_episode_steps": 500}),
        "minari_version": "0.5.1",
    }
    with open(os.path.join(data, "metadata.json"), "w") as stream:
        json.dump(metadata, stream)
    with h5py.File(os.path.join(data, "main_data.hdf5"), "w", track_order=True) as h5:
        for i, (obs, actions, rewards, terms, truncs) in enumerate(EPS):
            group = h5.create_group(f"episode_{i}")
            group.attrs["id"] = i
            group.attrs["total_steps"] = len(actions)
            group.attrs["seed"] = 100 + i
            if dict_obs:
                sub = group.create_group("observations")
                sub.create_dataset("position", data=obs, chunks=True,
                                   maxshape=(None, D))
            else:
                values = obs if obs_shape is None else \
                    np.zeros((len(obs),) + obs_shape, np.float32)
                group.create_dataset("observations", data=values, chunks=True,
                                     maxshape=(None,) + values.shape[1:])
            group.create_dataset("actions", data=actions + action_offset,
                                 chunks=True, maxshape=(None,))
            group.create_dataset("rewards", data=rewards, chunks=True, maxshape=(None,))
            group.create_dataset("terminations", data=terms, chunks=True,
                                 maxshape=(None,))
            group.create_dataset("truncations", data=truncs, chunks=True,
                                 maxshape=(None,))
            group.create_group("infos")
    return root


def test_minari():
    make_minari("minari")
    expect(0, ["minari", "-o", "minari.nc"])
    d = check_converted("minari.nc", "minari")
    check(d["attrs"]["env"] == "CartPole-v1", f"minari: env {d['attrs']['env']}")
    check(d["attrs"]["pilot"] == "minari:cartpole/test-v0",
          f"minari: pilot {d['attrs']['pilot']}")
    check(int(d["attrs"]["n_actions"]) == 2, "minari: n_actions")
    landscape_ok("minari.nc", "minari")

    # Discrete(2, start=1): actions 1, 2 become 0, 1; --env sets env
    make_minari("minari-start", action_offset=1)
    expect(0, ["minari-start", "-o", "minari-start.nc", "--env", "cartpole", "-q"])
    d = check_converted("minari-start.nc", "minari start=1")
    check(d["attrs"]["env"] == "cartpole", "minari --env: env attribute")

    # main_data.hdf5 given directly (metadata.json beside it)
    expect(0, ["minari/data/main_data.hdf5", "-o", "minari-file.nc", "-q"])
    check_converted("minari-file.nc", "minari main_data.hdf5")

    # refusals: continuous actions, images, Dict observations
    make_minari("minari-box", action_space=space_box([2]))
    expect(3, ["minari-box", "-o", "x.nc"],
           "minari-box/data/metadata.json: action_space is Box (continuous actions")
    make_minari("minari-image", observation_space=space_box([4, 4, 3]))
    expect(3, ["minari-image", "-o", "x.nc"],
           "minari-image/data/metadata.json: observation_space is a Box of shape "
           "(4, 4, 3)")
    make_minari("minari-dict", dict_obs=True,
                observation_space=json.dumps({"type": "Dict", "subspaces": {}}))
    expect(3, ["minari-dict", "-o", "x.nc"],
           "minari-dict/data/metadata.json: observation_space is Dict")
    # no metadata to warn: the data themselves are refused
    make_minari("minari-dict2", dict_obs=True)
    os.unlink("minari-dict2/data/metadata.json")
    expect(3, ["minari-dict2", "-o", "x.nc"],
           "minari-dict2/data/main_data.hdf5: episode_0: observations are a group")
    make_minari("minari-pixels", obs_shape=(4, 4))
    os.unlink("minari-pixels/data/metadata.json")
    expect(3, ["minari-pixels", "-o", "x.nc"],
           "minari-pixels/data/main_data.hdf5: episode_0: observations have shape "
           "(6, 4, 4)")
    # Minari before 0.4: the metadata are attributes of main_data.hdf5
    make_minari("minari-old")
    os.unlink("minari-old/data/metadata.json")
    with h5py.File("minari-old/data/main_data.hdf5", "a") as h5:
        h5.attrs["action_space"] = space_box([1])
        h5.attrs["observation_space"] = space_box([D])
    expect(3, ["minari-old", "-o", "x.nc"], "minari-old/data/main_data.hdf5: "
                                            "action_space is Box")
    os.makedirs("not-minari")
    expect(3, ["not-minari", "-o", "x.nc"],
           "not-minari: not a Minari dataset directory")
    check(not os.path.exists("x.nc"), "a refused input left x.nc")


# ---- D4RL-style HDF5 and .npz ----------------------------------------------------

def flat_arrays(timeouts=True, next_observations=True):
    arrays = {
        "observations": OBS.astype(np.float32),
        "actions": ACTIONS.astype(np.float32),  # D4RL keeps actions as floats
        "rewards": REWARDS,
        "terminals": np.concatenate([e[3] for e in EPS]),
    }
    if timeouts:
        arrays["timeouts"] = np.concatenate([e[4] for e in EPS])
    if next_observations:
        arrays["next_observations"] = np.concatenate([e[0][1:] for e in EPS])
    return arrays


def write_h5(path, arrays):
    with h5py.File(path, "w") as h5:
        for key, value in arrays.items():
            h5.create_dataset(key, data=value)


def test_d4rl():
    write_h5("d4rl.hdf5", flat_arrays())
    expect(0, ["d4rl.hdf5", "-o", "d4rl.nc", "--env", "flappy-bird",
               "--action-names", "left,right", "--pilot", "expert"])
    d = check_converted("d4rl.nc", "d4rl", obs=OBS.astype(np.float32).astype(np.float64))
    check(d["attrs"]["env"] == "flappy-bird" and d["attrs"]["pilot"] == "expert"
          and d["attrs"]["action_names"] == "left,right", f"d4rl: attrs {d['attrs']}")
    landscape_ok("d4rl.nc", "d4rl")

    # without next_observations the truncated episode's final obs is unknown
    write_h5("d4rl-nonext.hdf5", flat_arrays(next_observations=False))
    err = expect(0, ["d4rl-nonext.hdf5", "-o", "d4rl-nonext.nc"])
    check("no 'next_observations'" in err, f"d4rl without next_observations: {err!r}")
    check_converted("d4rl-nonext.nc", "d4rl no next",
                    obs=OBS.astype(np.float32).astype(np.float64),
                    final_known=(False, False, False))

    # v0: no timeouts; the time-limit end is not seen, episodes 1 and 2 merge
    write_h5("d4rl-v0.hdf5", flat_arrays(timeouts=False))
    err = expect(0, ["d4rl-v0.hdf5", "-o", "d4rl-v0.nc"])
    check("no 'timeouts' (a D4RL v0 file)" in err, f"v0 note missing: {err!r}")
    d = read_nc("d4rl-v0.nc")
    check(list(d["episode_start"]) == [0, 5] and list(d["episode_length"]) == [5, 10]
          and list(d["terminated"]) == [1, 1], f"v0 episodes {d['episode_start']} "
          f"{d['episode_length']} {d['terminated']}")
    err = expect(0, ["d4rl-v0.hdf5", "-o", "d4rl-v0q.nc", "--quiet"])
    check(err == "", f"--quiet printed {err!r}")
    landscape_ok("d4rl-v0.nc", "d4rl-v0")

    # refusals
    bad = flat_arrays()
    bad["actions"] = bad["actions"] + 0.25
    write_h5("frac.hdf5", bad)
    expect(3, ["frac.hdf5", "-o", "x.nc"], f"frac.hdf5: actions[0] = "
           f"{float(ACTIONS[0]) + 0.25!r} is not an integer: continuous actions")
    bad = flat_arrays()
    bad["actions"] = RNG.normal(size=(len(ACTIONS), 2))
    write_h5("box.hdf5", bad)
    expect(3, ["box.hdf5", "-o", "x.nc"], f"box.hdf5: actions have shape "
                                          f"({len(ACTIONS)}, 2): a vector per step")
    bad = flat_arrays()
    bad["observations"] = np.zeros((len(ACTIONS), 4, 4, 1), np.uint8)
    write_h5("image.hdf5", bad)
    expect(3, ["image.hdf5", "-o", "x.nc"], f"image.hdf5: observations have shape "
                                            f"({len(ACTIONS)}, 4, 4, 1)")
    bad = flat_arrays()
    del bad["terminals"]
    write_h5("noterm.hdf5", bad)
    expect(3, ["noterm.hdf5", "-o", "x.nc"], "noterm.hdf5: 'terminals' is missing")
    with h5py.File("group.hdf5", "w") as h5:
        for key, value in flat_arrays().items():
            if key == "observations":
                h5.create_group(key).create_dataset("pos", data=value)
            else:
                h5.create_dataset(key, data=value)
    expect(3, ["group.hdf5", "-o", "x.nc"], "group.hdf5: 'observations' is a group")
    whole = open("d4rl.hdf5", "rb").read()
    for name, size in (("cut-head.hdf5", 100), ("cut-half.hdf5", len(whole) // 2)):
        with open(name, "wb") as stream:
            stream.write(whole[:size])
        expect(3, [name, "-o", "x.nc"], f"{name}: ")
    # the C reader's rules, through write_demo: origin is the input file
    bad = flat_arrays()
    bad["actions"] = bad["actions"].copy()
    bad["actions"][6] = -1
    write_h5("negative.hdf5", bad)
    expect(3, ["negative.hdf5", "-o", "x.nc"],
           "negative.hdf5: action[6] = -1 is outside [0, 2)")
    expect(3, ["d4rl.hdf5", "-o", "x.nc", "--n-actions", "2", "--action-names",
               "a,b,c"], "d4rl.hdf5: action_names has 3 names but n_actions = 2")
    check(not os.path.exists("x.nc"), "a refused input left x.nc")


def test_npz():
    np.savez("flat.npz", **flat_arrays())
    expect(0, ["flat.npz", "-o", "npz.nc", "-q"])
    check_converted("npz.nc", "npz", obs=OBS.astype(np.float32).astype(np.float64))
    landscape_ok("npz.nc", "npz")
    arrays = flat_arrays()
    arrays["observations"] = np.array([{"x": 1}] * len(ACTIONS), dtype=object)
    np.savez("objects.npz", **arrays)
    expect(3, ["objects.npz", "-o", "x.nc"], "objects.npz: 'observations' holds "
                                             "Python objects")
    with open("junk.npz", "w") as stream:
        stream.write("not a zip\n")
    expect(3, ["junk.npz", "-o", "x.nc"], "junk.npz: ")
    check(not os.path.exists("x.nc"), "a refused input left x.nc")


def test_round_trip_flappy():
    """An ilrl-demo file -> npz (D4RL keys) -> ilrl-import --env flappy-bird
    gives back the same arrays, and --objective return runs on it."""
    status, _, err = run([DEMO, "--pilot", "strong", "--episodes", "2",
                          "--max-steps", "150", "--seed", "3", "--quiet",
                          "--out", "flappy.nc"])
    check(status == 0, f"ilrl-demo: {err}")
    src = read_nc("flappy.nc")
    n = len(src["action"])
    terminals = np.zeros(n, bool)
    timeouts = np.zeros(n, bool)
    for start, length, term in zip(src["episode_start"], src["episode_length"],
                                   src["terminated"]):
        (terminals if term else timeouts)[start + length - 1] = True
    np.savez("flappy.npz", observations=src["obs"], actions=src["action"],
             rewards=src["reward"], terminals=terminals, timeouts=timeouts)
    err = expect(0, ["flappy.npz", "-o", "flappy-imported0.nc", "--env",
                     "flappy-bird"])
    check("--reward-scheme" in err, f"no note about --reward-scheme: {err!r}")
    expect(0, ["flappy.npz", "-o", "flappy-imported.nc", "--env", "flappy-bird",
               "--n-actions", "2", "--reward-scheme", src["attrs"]["reward_scheme"],
               "-q"])
    back = read_nc("flappy-imported.nc")
    for key in ("obs", "action", "reward", "episode_start", "episode_length",
                "terminated"):
        check(np.array_equal(back[key], src[key]), f"flappy round trip: {key}")
    # same arrays, same landscape: bit for bit
    surfaces = []
    for name in ("flappy.nc", "flappy-imported.nc"):
        out = "land-" + name
        status, _, err = run(MPIRUN + ["-n", "2", LANDSCAPE, "--demo", name,
                                       "--nx", "4", "--ny", "3", "--quiet",
                                       "--out", out])
        check(status == 0, f"landscape of {name}: {err.strip()}")
        if status == 0:
            with netCDF4.Dataset(out) as nc:
                surfaces.append((np.asarray(nc["il_loss"][...]),
                                 np.asarray(nc["rl_loss"][...]),
                                 nc.getncattr("demo_checksum")))
    if len(surfaces) == 2:
        (il0, rl0, sum0), (il1, rl1, sum1) = surfaces
        check(np.array_equal(il0, il1) and np.array_equal(rl0, rl1),
              "ilrl-demo's file and its import give different landscapes")
        # The checksums differ by design: it covers final_obs, which
        # ilrl-demo writes and a flat npz without next_observations lacks.
        check(sum0 != "" and sum1 != "", "a landscape without demo_checksum")
    status, _, err = run(MPIRUN + ["-n", "2", LANDSCAPE, "--demo",
                                   "flappy-imported.nc", "--nx", "3", "--ny", "3",
                                   "--objective", "return", "--rollouts", "1",
                                   "--rollout-steps", "30", "--quiet",
                                   "--out", "flappy-return.nc"])
    check(status == 0, f"--objective return on the imported file: {err.strip()}")
    # a foreign env is kept by name and refused by --objective return
    status, _, err = run(MPIRUN + ["-n", "2", LANDSCAPE, "--demo", "minari.nc",
                                   "--nx", "3", "--ny", "3", "--objective", "return",
                                   "--quiet", "--out", "minari-return.nc"])
    check(status == 3 and 'env = "CartPole-v1"' in err,
          f"--objective return on CartPole-v1 data: exit {status} {err.strip()}")


def test_command_line():
    got, out, err = run([IMPORT, "--help"])
    check(got == 0 and "usage: ilrl-import" in out and "Exit status" in out,
          f"--help: {got} {out[:80]!r}")
    got, out, err = run([IMPORT, "--version"])
    check(got == 0 and out.startswith("ilrl-import (ilrl-landscape) ")
          and "@" not in out, f"--version: {got} {out!r}")
    expect(2, [], "the following arguments are required: INPUT")
    expect(2, ["flat.npz", "--bogus"], "unrecognized arguments: --bogus")
    expect(2, ["flat.npz", "--env", "pong"], "--env: 'pong' is not an environment "
                                             "ilrl simulates (flappy-bird, cartpole)")
    expect(2, ["flat.npz", "--n-actions", "1"], "--n-actions: 1 must be >= 2")
    expect(2, ["flat.npz", "--format", "csv"], "argument --format: invalid choice")
    expect(3, ["missing.hdf5", "-o", "x.nc"],
           "missing.hdf5: cannot open: No such file or directory")
    with open("notes.txt", "w") as stream:
        stream.write("hello\n")
    expect(3, ["notes.txt", "-o", "x.nc"], "notes.txt: not a Minari dataset "
                                           "directory, an HDF5 file or a NumPy .npz")

    # output: never overwritten without --force, untouched on refusal
    digest = hashlib.sha256(open("npz.nc", "rb").read()).hexdigest()
    expect(4, ["flat.npz", "-o", "npz.nc"], "npz.nc exists (use --force to overwrite)")
    expect(3, ["objects.npz", "-o", "npz.nc", "--force"], "objects.npz: ")
    check(hashlib.sha256(open("npz.nc", "rb").read()).hexdigest() == digest,
          "npz.nc changed by refused runs")
    expect(0, ["d4rl-v0.hdf5", "-o", "npz.nc", "--force", "-q"])
    check(len(read_nc("npz.nc")["episode_start"]) == 2, "--force did not overwrite")
    expect(4, ["flat.npz", "-o", "no-such-dir/out.nc"],
           "no-such-dir/out.nc: no-such-dir is not a directory")
    # a full disk (a file-size limit here): exit 4, old file untouched
    import resource

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    rng = np.random.default_rng(5)
    big = 20000
    np.savez("big.npz", observations=rng.normal(size=(big, 3)),
             actions=np.arange(big) % 2, rewards=np.ones(big),
             terminals=np.arange(big) % 1000 == 999, timeouts=np.zeros(big, bool))
    for name, force in (("npz.nc", ["--force"]), ("new.nc", [])):
        result = subprocess.run([IMPORT, "big.npz", "-o", name, "-q"] + force,
                                capture_output=True, text=True, timeout=300,
                                preexec_fn=limit_file_size)
        check(result.returncode == 4 and result.stderr.startswith(
            f"ilrl-import: {name}: no room for the file (") and
            result.stderr.count("\n") == 1,
            f"file-size limit, {name}: exit {result.returncode} {result.stderr!r}")
    check(len(read_nc("npz.nc")["episode_start"]) == 2, "npz.nc changed by a failed write")
    check(not os.path.exists("new.nc"), "new.nc exists after a failed write")
    os.makedirs("adir")
    expect(4, ["flat.npz", "-o", "adir"], "adir is a directory, not a file name")
    leftovers = [f for f in os.listdir(".") if ".tmp." in f]
    check(not leftovers, f"temporary files left: {leftovers}")


def main():
    test_minari()
    test_d4rl()
    test_npz()
    test_round_trip_flappy()
    test_command_line()
    print(f"py_import: {len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
