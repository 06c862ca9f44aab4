"""cartpole_np.py -- B games of our CartPole-v1 (src/cartpole.c,
docs/cartpole.md) stepped at once with NumPy, every quantity an array of
shape (B,).  The peer's second environment, checked against recorded
sessions of our simulator by tests/peer/check_cartpole_np.py.

The dynamics are Gymnasium's step() as src/cartpole.c writes it: the same
binary64 operations in the same order (numpy evaluates each elementwise
operation with one rounding, no fused multiply-add; np.cos / np.sin of
float64 are the C library's on this numpy build, which the check
confirms bit for bit), strict thresholds, and the observation rounded to
float32.  Rewards: the default scheme +1 per step, `shaped` -1 on the
terminating step and 0 otherwise.  A terminated game is frozen (reward 0,
never terminates again), as in ilrl_cartpole_step; the 500-step time limit
is the caller's (truncation).

Start states: a callable starts(envs) returns (len(envs), 4) uniforms u in
[0, 1) (state = -0.05 + 0.1 u, x, x_dot, theta, theta_dot in that order):
numpy_starts() for the peer's own training, gsl_starts() for our episodes'
own draws (GSL's mt19937, from tests/upstream_cartpole.py).
"""

import math

import numpy as np

N_FEATURES = 4
GRAVITY, MASSCART, MASSPOLE = 9.8, 1.0, 0.1
TOTAL_MASS = MASSPOLE + MASSCART
LENGTH = 0.5
POLEMASS_LENGTH = MASSPOLE * LENGTH
FORCE_MAG, TAU = 10.0, 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4
RESET_BOUND = 0.05
TIME_LIMIT = 500
DEFAULT, SHAPED = "default", "shaped"


def numpy_starts(rng):
    def starts(envs):
        return rng.random((len(envs), 4))
    return starts


def gsl_starts(seeds):
    """Game i's start from GSL's mt19937 seeded with seeds[i]."""
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from upstream_cartpole import gsl_mt19937
    rngs = [gsl_mt19937(int(s)) for s in seeds]

    def starts(envs):
        return np.array([[rngs[i].getrandbits(32) / 4294967296.0 for _ in range(4)]
                         for i in envs])
    return starts


class CartPoleBatch:
    """B games of CartPole in lockstep."""

    def __init__(self, batch, scheme=DEFAULT):
        if scheme not in (DEFAULT, SHAPED):
            raise ValueError("unknown reward scheme %r (expected default or shaped)" % scheme)
        self.B = int(batch)
        self.shaped = scheme == SHAPED

    def reset(self, starts):
        u = np.asarray(starts(np.arange(self.B)), dtype=np.float64)
        s = -RESET_BOUND + (RESET_BOUND - -RESET_BOUND) * u
        self.x, self.x_dot, self.theta, self.theta_dot = (s[:, i].copy() for i in range(4))
        self.done = np.zeros(self.B, dtype=bool)
        self.steps = np.zeros(self.B, dtype=np.int64)
        return self.observe()

    def step(self, action):
        """Returns (obs (B, 4), reward (B,), terminated (B,)): this frame's
        terminations; a game terminated before does not move."""
        live = ~self.done
        force = np.where(np.asarray(action) == 1, FORCE_MAG, -FORCE_MAG)
        x, x_dot, theta, theta_dot = self.x, self.x_dot, self.theta, self.theta_dot
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
        thetaacc = (GRAVITY * sintheta - costheta * temp) / (
            LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS))
        xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
        nx = x + TAU * x_dot
        nx_dot = x_dot + TAU * xacc
        ntheta = theta + TAU * theta_dot
        ntheta_dot = theta_dot + TAU * thetaacc
        self.x = np.where(live, nx, x)
        self.x_dot = np.where(live, nx_dot, x_dot)
        self.theta = np.where(live, ntheta, theta)
        self.theta_dot = np.where(live, ntheta_dot, theta_dot)
        term = live & ((nx < -X_THRESHOLD) | (nx > X_THRESHOLD)
                       | (ntheta < -THETA_THRESHOLD) | (ntheta > THETA_THRESHOLD))
        self.done |= term
        self.steps += live
        if self.shaped:
            reward = np.where(term, -1.0, 0.0)
        else:
            reward = live.astype(np.float64)
        return self.observe(), reward, term

    def observe(self):
        obs = np.stack((self.x, self.x_dot, self.theta, self.theta_dot), axis=1)
        return obs.astype(np.float32).astype(np.float64)
