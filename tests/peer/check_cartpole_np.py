#!/usr/bin/env python3
"""check_cartpole_np.py -- replays recorded CartPole sessions of our
simulator (`ilrl-demo --env cartpole`) through the vectorised peer
environment (tests/peer/cartpole_np.py): all episodes of a file stepped in
lockstep with the recorded actions, every recorded observation, reward,
termination and length equal bit for bit (an episode of 500 steps that did
not terminate is CartPole-v1's truncation).

Usage: check_cartpole_np.py DEMO.nc...  exit 0 all equal, 1 a difference
                                         (the first one printed), 2 bad
                                         usage or an unusable file

Start states are the file's own (ilrl_episode_seed of its seed attribute,
GSL's mt19937), rebuilt by tests/upstream_cartpole.py (imported).
NumPy and netCDF4 only.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))

import cartpole_np  # noqa: E402
from upstream_cartpole import episode_seed  # noqa: E402


class Mismatch(Exception):
    pass


def same_bits(a, b):
    return np.asarray(a, dtype="<f8").tobytes() == np.asarray(b, dtype="<f8").tobytes()


def replay(path):
    import netCDF4
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_mask(False)
        obs = np.asarray(nc["obs"][:], dtype=np.float64)
        action = np.asarray(nc["action"][:], dtype=np.int64)
        reward = np.asarray(nc["reward"][:], dtype=np.float64)
        start = np.asarray(nc["episode_start"][:], dtype=np.int64)
        length = np.asarray(nc["episode_length"][:], dtype=np.int64)
        terminated = np.asarray(nc["terminated"][:], dtype=np.int64)
        seed = int(nc.getncattr("seed"))
        scheme = nc.getncattr("reward_scheme")
        env_name = nc.getncattr("env")
    if env_name != "cartpole" or obs.ndim != 2 or obs.shape[1] != cartpole_np.N_FEATURES:
        raise ValueError("%s: not a cartpole demonstration (env %s)" % (path, env_name))
    B = len(start)
    env = cartpole_np.CartPoleBatch(B, scheme)
    now = env.reset(cartpole_np.gsl_starts([episode_seed(seed, e) for e in range(B)]))
    for t in range(int(length.max())):
        live = t < length
        rows = start + np.minimum(t, length - 1)
        for e in np.flatnonzero(live):
            if not same_bits(obs[rows[e]], now[e]):
                raise Mismatch("episode %d step %d: observation file %r, vectorised %r"
                               % (e, t, obs[rows[e]].tolist(), now[e].tolist()))
        if bool((env.done & live).any()):
            e = int(np.flatnonzero(env.done & live)[0])
            raise Mismatch("episode %d step %d: vectorised pole fell before the file's"
                           " length %d" % (e, t, length[e]))
        now, r, term = env.step(np.where(live, action[rows], 0))
        for e in np.flatnonzero(live):
            if not same_bits(reward[rows[e]], r[e]):
                raise Mismatch("episode %d step %d: reward file %r, vectorised %r"
                               % (e, t, float(reward[rows[e]]), float(r[e])))
            last = t == length[e] - 1
            if bool(term[e]) != (last and bool(terminated[e])):
                raise Mismatch("episode %d step %d: vectorised terminated=%s, file says"
                               " length %d terminated %d" % (e, t, bool(term[e]), length[e],
                                                             terminated[e]))
            if last and not term[e] and length[e] != cartpole_np.TIME_LIMIT:
                raise Mismatch("episode %d: ends at %d steps, neither fallen nor at the"
                               " time limit" % (e, length[e]))
    return B, int(length.sum())


def main(argv):
    if len(argv) < 2 or any(a.startswith("-") for a in argv[1:]):
        sys.stderr.write("usage: check_cartpole_np.py DEMO.nc...\n")
        return 2
    for path in argv[1:]:
        try:
            episodes, steps = replay(path)
        except Mismatch as err:
            print("check_cartpole_np.py: %s: differs from the vectorised game: %s" % (path, err))
            return 1
        except (ImportError, OSError, KeyError, ValueError, AttributeError) as err:
            sys.stderr.write("check_cartpole_np.py: %s: %s\n" % (path, err))
            return 2
        print("%s: %d episodes, %d steps in lockstep: obs, reward, terminated and length"
              " equal the vectorised game's bit for bit" % (path, episodes, steps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
