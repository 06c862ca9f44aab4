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
`envs`, called once per pipe slot, in slot order (3 calls at reset, then
once per slot that respawns in a frame).  The peer's own training uses
numpy_gaps(), a numpy Generator (any RNG is fine for a speed measurement);
the check replays our episodes' own sequence (GSL's mt19937 seeded with
ilrl_episode_seed) through mt19937_gaps(), built on tests/upstream_flappy.py.

A crashed game is frozen: stepping it changes nothing and rewards 0
(ilrl_flappy_step's contract); `done` says which games have crashed.
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


class FlappyBatch:
    """B games of Flappy Bird in lockstep."""

    def __init__(self, batch, scheme=SPARSE):
        if scheme not in (SPARSE, SHAPED):
            raise ValueError("unknown reward scheme %r (expected sparse or shaped)" % scheme)
        self.B = int(batch)
        self.shaped = scheme == SHAPED
        self._all = np.arange(self.B)

    def reset(self, gaps):
        """Starts B episodes; returns the first observations, (B, 12)."""
        B = self.B
        self.gaps = gaps
        self.bird_y = np.full(B, BIRD_START_Y, dtype=np.int64)
        self.bird_vy = np.full(B, FLAP_VY, dtype=np.int64)
        self.rotation = np.full(B, ROT_FLAP, dtype=np.int64)
        self.pipe_x10 = np.tile(np.array(RESET_X10, dtype=np.int64), (B, 1))
        self.gap_top = np.empty((B, 3), dtype=np.int64)
        for i in range(3):  # pipe 0 first: the documented order of the draws
            self.gap_top[:, i] = 100 + 10 * np.asarray(gaps(self._all), dtype=np.int64)
        self.score = np.zeros(B, dtype=np.int64)
        self.steps = np.zeros(B, dtype=np.int64)
        self.done = np.zeros(B, dtype=bool)
        return self.observe()

    def step(self, action):
        """One frame of every game with actions (B,) (1 flap, else idle).
        Returns (obs (B, 12), reward (B,), crashed (B,)): crashed is this
        frame's crash; games crashed before stay frozen with reward 0."""
        live = ~self.done
        flap = (np.asarray(action) == 1) & (self.bird_y > FLAP_CEILING) & live
        vy = np.where(flap, FLAP_VY, self.bird_vy)
        centre = self.pipe_x10 + PIPE_HALF_X10
        passed = ((centre <= BIRD_CENTRE_X10) & (BIRD_CENTRE_X10 < centre + PIPE_SPEED_X10)).any(axis=1)
        rot = np.where(flap, ROT_FLAP, np.maximum(self.rotation - ROT_STEP, ROT_MIN))
        vy = np.where(~flap & (vy < MAX_VY), vy + 1, vy)
        y = np.minimum(self.bird_y + vy, BIRD_MAX_Y)
        px = self.pipe_x10 - PIPE_SPEED_X10
        respawn = (px < -PIPE_W * 10) & live[:, None]
        px = np.where(respawn, RESPAWN_X10, px)
        for i in range(3):
            envs = np.flatnonzero(respawn[:, i])
            if envs.size:
                self.gap_top[envs, i] = 100 + 10 * np.asarray(self.gaps(envs), dtype=np.int64)
        # Commit the frame for live games only.
        self.bird_y = np.where(live, y, self.bird_y)
        self.bird_vy = np.where(live, vy, self.bird_vy)
        self.rotation = np.where(live, rot, self.rotation)
        self.pipe_x10 = np.where(live[:, None], px, self.pipe_x10)
        passed &= live
        self.score += passed
        self.steps += live
        crashed = self._crashes() & live
        self.done |= crashed
        if self.shaped:
            reward = np.where(self.bird_y < 0, -0.5, np.where(passed, 1.0, 0.1))
        else:
            reward = passed.astype(np.float64)
        reward = np.where(crashed, -1.0, np.where(live, reward, 0.0))
        return self.observe(), reward, crashed

    def _crashes(self):
        """Ground, or a half-open overlap with an upper or lower pipe box;
        the pipe's left edge truncated toward zero (C division, pygame)."""
        left = np.trunc(self.pipe_x10 / 10).astype(np.int64)
        top = self.bird_y[:, None]
        bottom = top + BIRD_H
        columns = (BIRD_X < left + PIPE_W) & (left < BIRD_X + BIRD_W)
        gap_top = self.gap_top
        gap_bottom = gap_top + PIPE_GAP
        upper = (top < gap_top) & (gap_top - PIPE_H < bottom)
        lower = (top < gap_bottom + PIPE_H) & (gap_bottom < bottom)
        return (self.bird_y >= BIRD_MAX_Y) | (columns & (upper | lower)).any(axis=1)

    def observe(self):
        """The 12 features of every game, (B, 12) float64."""
        off = self.pipe_x10 > SCREEN_W * 10
        x = np.where(off, float(SCREEN_W), pipe_x(self.pipe_x10))
        top = np.where(off, 0, self.gap_top)
        bottom = np.where(off, SCREEN_H, self.gap_top + PIPE_GAP)
        order = np.argsort(x, axis=1, kind="stable")  # Python's sorted(): ties keep slot order
        x = np.take_along_axis(x, order, axis=1)
        top = np.take_along_axis(top, order, axis=1)
        bottom = np.take_along_axis(bottom, order, axis=1)
        obs = np.empty((self.B, N_FEATURES), dtype=np.float64)
        obs[:, 0:9:3] = x / SCREEN_W
        obs[:, 1:9:3] = top / float(SCREEN_H)
        obs[:, 2:9:3] = bottom / float(SCREEN_H)
        obs[:, 9] = self.bird_y / float(SCREEN_H)
        obs[:, 10] = self.bird_vy / float(MAX_VY)
        obs[:, 11] = self.rotation / 90.0
        return obs
