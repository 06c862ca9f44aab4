#!/usr/bin/env python3
"""check_flappy_np.py -- replays recorded sessions of our simulator
(`ilrl-demo`, Flappy Bird) through the vectorised peer environment
(tests/peer/flappy_np.py): all episodes of a file are B games stepped in
lockstep with the recorded actions (a finished game is fed idle), and every
recorded observation, reward, termination and score must equal the
vectorised game's bit for bit.

Usage: check_flappy_np.py DEMO.nc...   exit 0 all equal, 1 a difference
                                       (the first one printed), 2 bad usage
                                       or an unusable file

The gaps are the file's own: episode e's generator is GSL's mt19937 seeded
with ilrl_episode_seed(seed, e) of the file's seed attribute, rebuilt by
tests/upstream_flappy.py (imported, not copied).  Our files record s_t
before each action, not the state after the last step, so that one is not
compared.  NumPy and netCDF4 only (no torch), so `make check` can run it.
"""

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))

try:
    import netCDF4
except ImportError:  # pragma: no cover - the shell wrapper skips first
    sys.stderr.write("check_flappy_np.py: python3 netCDF4 is not installed\n")
    sys.exit(2)

import flappy_np  # noqa: E402
from upstream_flappy import episode_seed  # noqa: E402


class Mismatch(Exception):
    pass


def same_bits(a, b):
    return np.asarray(a, dtype="<f8").tobytes() == np.asarray(b, dtype="<f8").tobytes()


def replay(path):
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_mask(False)
        obs = np.asarray(nc["obs"][:], dtype=np.float64)
        action = np.asarray(nc["action"][:], dtype=np.int64)
        reward = np.asarray(nc["reward"][:], dtype=np.float64)
        start = np.asarray(nc["episode_start"][:], dtype=np.int64)
        length = np.asarray(nc["episode_length"][:], dtype=np.int64)
        terminated = np.asarray(nc["terminated"][:], dtype=np.int64)
        score = np.asarray(nc["score"][:], dtype=np.int64)
        seed = int(nc.getncattr("seed"))
        scheme = nc.getncattr("reward_scheme")
        pilot = nc.getncattr("pilot")
    if obs.ndim != 2 or obs.shape[1] != flappy_np.N_FEATURES:
        raise ValueError("%s: %d features, expected the 12 of Flappy Bird" % (path, obs.shape[-1]))
    if pilot.startswith("network"):
        raise ValueError("%s: pilot %s seeds its episodes from a landscape point;"
                         " record with another pilot" % (path, pilot))
    B = len(start)
    env = flappy_np.FlappyBatch(B, scheme)
    now = env.reset(flappy_np.mt19937_gaps([episode_seed(seed, e) for e in range(B)]))
    for t in range(int(length.max())):
        live = t < length
        rows = start + np.minimum(t, length - 1)
        for e in np.flatnonzero(live):
            if not same_bits(obs[rows[e]], now[e]):
                f = int(np.flatnonzero(obs[rows[e]].view(np.int64) != now[e].view(np.int64))[0])
                raise Mismatch("episode %d step %d feature %d: file %r, vectorised %r"
                               % (e, t, f, float(obs[rows[e], f]), float(now[e, f])))
        if bool((env.done & live).any()):
            e = int(np.flatnonzero(env.done & live)[0])
            raise Mismatch("episode %d step %d: vectorised game crashed before the file's"
                           " length %d" % (e, t, length[e]))
        a = np.where(live, action[rows], 0)
        now, r, crashed = env.step(a)
        for e in np.flatnonzero(live):
            if not same_bits(reward[rows[e]], r[e]):
                raise Mismatch("episode %d step %d: reward file %r, vectorised %r"
                               % (e, t, float(reward[rows[e]]), float(r[e])))
            expect = t == length[e] - 1 and bool(terminated[e])
            if bool(crashed[e]) != expect:
                raise Mismatch("episode %d step %d: vectorised terminal=%s, file says"
                               " length %d terminated %d" % (e, t, bool(crashed[e]), length[e],
                                                             terminated[e]))
    for e in range(B):
        if env.score[e] != score[e]:
            raise Mismatch("episode %d: score file %d, vectorised %d" % (e, score[e], env.score[e]))
    return B, int(length.sum())


def main(argv):
    if len(argv) < 2 or any(a.startswith("-") for a in argv[1:]):
        sys.stderr.write("usage: check_flappy_np.py DEMO.nc...\n")
        return 2
    for path in argv[1:]:
        try:
            episodes, steps = replay(path)
        except Mismatch as err:
            print("check_flappy_np.py: %s: differs from the vectorised game: %s" % (path, err))
            return 1
        except (OSError, KeyError, ValueError, AttributeError) as err:
            sys.stderr.write("check_flappy_np.py: %s: %s\n" % (path, err))
            return 2
        print("%s: %d episodes, %d steps in lockstep: obs, reward, terminated and score"
              " equal the vectorised game's bit for bit" % (path, episodes, steps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
