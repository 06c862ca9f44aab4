"""flappy_np.py -- B games of our Flappy Bird (src/flappy.c,
docs/flappy-bird.md) stepped at once with NumPy, every quantity an array of
shape (B,) (pipes: (B, 3)).  The environment of the PyTorch peer that
`make bench` measures (tests/peer/torch_peer.py); checked against recorded
sessions of our simulator by tests/peer/check_flappy_np.py.

The rules are the C simulator's, in its integers: pipe x in tenths of a
pixel (respawn at 3976 = 397.6 px), the frame order flap, score, rotation,
gravity, move the bird, move/respawn the pipes, crash test; the
observation divides upstream's binary64 x (include/ilrl/flappy.h,
ilrl_flappy_pipe_x) once per feature, so it is our simulator's to the bit.

Pipe gaps come from a gap source: a callable gaps(envs) that returns one
index k in 0..7 (gap top 100 + 10 k) for each game index in the int array
`envs`: 3 calls at reset (pipe 0, 1, 2), then one call per frame with the
games that respawn a pipe (a game respawns at most one pipe per frame), so
each game sees the C game's order of draws.  The peer's own training uses
numpy_gaps(), a numpy Generator (any RNG is fine for a speed measurement);
the check replays our episodes' own sequence (GSL's mt19937 seeded with
ilrl_episode_seed) through mt19937_gaps(), built on tests/upstream_flappy.py.

Once a game has crashed (`done`), its reward is 0, it never reports a
crash again, and its score and steps are frozen; its bird and pipes play on
(cheaper than masking every update; nobody reads them), so its observations
are meaningless, unlike the C game's no-op step.
"""

import numpy as np

N_FEATURES = 12
SCREEN_W, SCREEN_H = 288, 512
BIRD_X, BIRD_W, BIRD_H = 57, 34, 24
BIRD_START_Y, BIRD_MAX_Y = 244, 380
FLAP_VY, MAX_VY = -9, 10
FLAP_CEILING = -2 * BIRD_H
PIPE_W, PIPE_H, PIPE_GAP = 52, 320, 100
PIPE_SPEED_X10 = 40
RESPAWN_X10 = 3976
RESET_X10 = (2880, 4320, 5760)
BIRD_CENTRE_X10 = BIRD_X * 10 + BIRD_W * 10 // 2  # 740
PIPE_HALF_X10 = PIPE_W * 10 // 2                  # 260
ROT_FLAP, ROT_STEP, ROT_MIN = 45, 3, -90
RESPAWN_X = float(SCREEN_W + PIPE_W) + SCREEN_W * 0.2  # fl(397.6), upstream's float

SPARSE, SHAPED = "sparse", "shaped"


def numpy_gaps(rng):
    """A gap source drawing k uniformly from a numpy Generator."""
    def gaps(envs):
        return rng.integers(0, 8, size=len(envs))
    return gaps


def mt19937_gaps(seeds):
    """Our simulator's gap source: game i draws from GSL's mt19937 seeded
    with seeds[i] (tests/upstream_flappy.py's independent port)."""
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from upstream_flappy import MT19937
    rngs = [MT19937(int(s)) for s in seeds]

    def gaps(envs):
        return np.array([rngs[i].uniform_int(8) for i in envs], dtype=np.int64)
    return gaps


def pipe_x(x10):
    """Upstream's binary64 x for positions in tenths (ilrl_flappy_pipe_x):
    whole pixels exactly, fl(397.6) - n for a pipe n px left of the respawn
    point; (Python's % and C's agree on "== 0" for either sign)."""
    whole = x10 % 10 == 0
    back = (RESPAWN_X10 - x10) % 10 == 0
    return np.where(whole, x10 // 10,
                    np.where(back, RESPAWN_X - (RESPAWN_X10 - x10) // 10, x10 / 10.0)).astype(np.float64)


# Every pipe position a game can reach, in tenths (reset 5760 down to the
# respawn test's -560), mapped once to its normalised x feature: upstream's
# x (or 288 off screen) / 288, the same single division as the C code's.
X10_MIN, X10_MAX = -600, 6000
_X10 = np.arange(X10_MIN, X10_MAX + 1)
X_FEATURE = np.where(_X10 > SCREEN_W * 10, float(SCREEN_W), pipe_x(_X10)) / SCREEN_W


class FlappyBatch:
    """B games of Flappy Bird in lockstep.

    Integer state as the C game's: bird_y, bird_vy, rotation (B,), pipe_x10
    and gap_top (B, 3); the gap edges are also kept normalised (gap top /
    512 and (gap top + 100) / 512, computed when drawn).  Decisions on pipe
    x are made on pipe_x10 directly, equal to the C code's on whole pixels:
    a pipe scores when its centre crosses the bird's (440 < x10 <= 480);
    its box, left edge trunc(x10 / 10), shares a column with the bird's
    [57, 91) exactly when 60 <= x10 < 910.
    """

    def __init__(self, batch, scheme=SPARSE):
        if scheme not in (SPARSE, SHAPED):
            raise ValueError("unknown reward scheme %r (expected sparse or shaped)" % scheme)
        self.B = int(batch)
        self.shaped = scheme == SHAPED
        self._all = np.arange(self.B)

    def _set_gaps(self, rows, cols, k):
        top = 100 + 10 * np.asarray(k, dtype=np.int64)
        self.gap_top[rows, cols] = top
        self.gap_top_n[rows, cols] = top / float(SCREEN_H)
        self.gap_bottom_n[rows, cols] = (top + PIPE_GAP) / float(SCREEN_H)

    def reset(self, gaps):
        """Starts B episodes; returns the first observations, (B, 12)."""
        B = self.B
        self.gaps = gaps
        self.bird_y = np.full(B, BIRD_START_Y, dtype=np.int64)
        self.bird_vy = np.full(B, FLAP_VY, dtype=np.int64)
        self.rotation = np.full(B, ROT_FLAP, dtype=np.int64)
        self.pipe_x10 = np.tile(np.array(RESET_X10, dtype=np.int64), (B, 1))
        self.gap_top = np.empty((B, 3), dtype=np.int64)
        self.gap_top_n = np.empty((B, 3))
        self.gap_bottom_n = np.empty((B, 3))
        for i in range(3):  # pipe 0 first: the documented order of the draws
            self._set_gaps(self._all, i, gaps(self._all))
        self.score = np.zeros(B, dtype=np.int64)
        self.steps = np.zeros(B, dtype=np.int64)
        self.done = np.zeros(B, dtype=bool)
        self._obs = np.empty((B, N_FEATURES))
        return self.observe()

    def step(self, action):
        """One frame of every game with actions (B,) (1 flap, else idle).
        Returns (obs (B, 12), reward (B,), crashed (B,)): crashed is this
        frame's crash.  A game that crashed before plays on (no caller
        looks at it; its generator may draw) but its reward is 0, crashed
        False, and score and steps stay frozen."""
        live = ~self.done
        y = self.bird_y
        flap = (np.asarray(action) == 1) & (y > FLAP_CEILING)
        px = self.pipe_x10
        passed = ((px > 440) & (px <= 480)).any(axis=1) & live
        self.rotation = np.where(flap, ROT_FLAP, np.maximum(self.rotation - ROT_STEP, ROT_MIN))
        vy = np.where(flap, FLAP_VY, np.minimum(self.bird_vy + 1, MAX_VY))
        self.bird_vy = vy
        y = np.minimum(y + vy, BIRD_MAX_Y)
        self.bird_y = y
        px -= PIPE_SPEED_X10
        respawn = px < -PIPE_W * 10
        if respawn.any():  # at most one pipe per game per frame
            rows, cols = np.nonzero(respawn)
            px[rows, cols] = RESPAWN_X10
            self._set_gaps(rows, cols, self.gaps(rows))
        # Crash test: ground, or half-open overlap with a pipe box.
        gt = self.gap_top
        yc = y[:, None]
        bottom = yc + BIRD_H
        hit = (((yc < gt) & (gt - PIPE_H < bottom)) | ((gt + PIPE_GAP < bottom) & (yc < gt + PIPE_GAP + PIPE_H)))
        hit &= (px >= 60) & (px < 910)
        crashed = ((y >= BIRD_MAX_Y) | hit.any(axis=1)) & live
        self.done |= crashed
        self.score += passed
        self.steps += live
        if self.shaped:
            reward = 0.1 + 0.9 * passed
            reward[y < 0] = -0.5
        else:
            reward = passed.astype(np.float64)
        reward[crashed] = -1.0
        reward[~live] = 0.0
        return self.observe(), reward, crashed

    def observe(self):
        """The 12 features of every game, (B, 12) float64."""
        px = self.pipe_x10
        off = px > SCREEN_W * 10
        feats = np.empty((self.B, 3, 3))
        feats[:, :, 0] = X_FEATURE[px - X10_MIN]
        feats[:, :, 1] = np.where(off, 0.0, self.gap_top_n)
        feats[:, :, 2] = np.where(off, 1.0, self.gap_bottom_n)
        # Python's sorted() by x: stable, ties keep slot order; x / 288 is
        # monotone and reachable x differ by >= 0.4 px, so sorting the
        # features sorts the x.
        order = np.argsort(feats[:, :, 0], axis=1, kind="stable")
        obs = self._obs.copy()
        obs[:, :9] = np.take_along_axis(feats, order[:, :, None], axis=1).reshape(self.B, 9)
        obs[:, 9] = self.bird_y / float(SCREEN_H)
        obs[:, 10] = self.bird_vy / float(MAX_VY)
        obs[:, 11] = self.rotation / 90.0
        return obs
