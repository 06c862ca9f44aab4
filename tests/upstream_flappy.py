#!/usr/bin/env python3
"""upstream_flappy.py -- replays a demonstration file through an independent
model of flappy-bird-gymnasium v0.4.0 and checks that every recorded
observation, reward, termination and score equals upstream's bit for bit.

Usage: upstream_flappy.py DEMO.nc     exit 0 all equal, 1 a difference
                                       (first one printed), 2 bad usage or
                                       an unusable file

Upstream cannot be installed here (pygame, gymnasium), so this file models
the parts of upstream that decide those values, with upstream's own types
(Python ints and floats, numpy float64 for the returned array) and its own
order of operations.  It is written from reading upstream's source, not
copied from it; what it models, function by function:

  flappy_bird_gymnasium/envs/constants.py
      PIPE_VEL_X = -4, PLAYER_MAX_VEL_Y = 10, PLAYER_ACC_Y = 1,
      PLAYER_VEL_ROT = 3, PLAYER_FLAP_ACC = -9, PLAYER_WIDTH = 34,
      PLAYER_HEIGHT = 24, PIPE_WIDTH = 52, PIPE_HEIGHT = 320.
  flappy_bird_gymnasium/envs/flappy_bird_env.py, class FlappyBirdEnv with
  its defaults (screen 288 x 512, pipe_gap 100, use_lidar=False as our
  12 features are upstream's feature observation, normalize_obs=True):
      __init__      ground y = 512 * 0.79 (the float 404.48)
      reset()       player at int(288 * 0.2), int((512 - 24) / 2), vy -9,
                    rotation 45; three pipes at x = 288 (int), 288 + 288 / 2
                    and 288 + 288 (floats); first observation
      step()        flap if y > -2 * 24; score when a pipe's middle
                    (x + 52 / 2) <= 57 + 34 / 2 < middle + 4; rotation;
                    gravity; y += min(vy, ground - y - 24); pipes move by
                    -4 and respawn below -52; the observation; the rewards
                    (None -> +1 on a pipe, else +0.1; -0.5 while y < 0;
                    -1 on a crash); terminal on a crash
      _get_random_pipe()   gap_y = gapYs[index] + int(ground * 0.2) for
                    gapYs = 20, 30, ..., 90; x = 288 + 52 + 288 * 0.2
      _check_crash()   y + 24 >= ground - 1, or the bird's pygame.Rect
                    colliding with a pipe's pygame.Rect(x, y, 52, 320)
      _get_observation_features()   readings (x, up y + 320, low y), or
                    (288, 0, 512) while x > 288; sorted() by x (stable);
                    h / 288, v1 / 512, v2 / 512, y / 512, vy / 10, rot / 90;
                    np.array of those floats (float64)
  pygame (src_c/base.h pg_IntFromObj, src_c/rect.c colliderect)
      Rect() turns a float argument into an int with a C cast, i.e. truncates
      toward zero (Python's int() does the same); colliderect is the
      half-open overlap of two non-empty rectangles.

Documented, intentional differences from running upstream itself:

  * The pipe gaps.  Upstream draws them from numpy's generator
    (np_random.integers(0, 8)); our game draws k = gsl_rng_uniform_int(rng,
    8) from GSL's mt19937, seeded per episode with ilrl_episode_seed(seed,
    e) of the file's seed attribute.  This oracle rebuilds that sequence
    independently (splitmix64, MT19937 with GSL's seeding, GSL's rejection
    rule below) and feeds upstream's model the same gap indices in the same
    order (3 at reset, then one per respawn): gap_y = gapYs[k] + 80 =
    100 + 10 k.
  * The sparse reward scheme is ours (+1 pipe, -1 crash, 0 otherwise);
    upstream only has the shaped one.  A shaped file's rewards are compared
    with upstream's; a sparse file's with upstream's events (the score went
    up, the step was terminal).
  * Our files record s_t before each action and not the state after the
    last step (the terminal one, where upstream's y may be the float
    380.48 on the ground); that observation is not compared.
"""

import sys

import numpy as np

try:
    import netCDF4
except ImportError:  # pragma: no cover - the shell test skips first
    sys.stderr.write("upstream_flappy.py: python3 netCDF4 is not installed\n")
    sys.exit(2)

# ---- the gap sequence of our game (not upstream's) ---------------------------

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF


def episode_seed(seed, episode):
    """splitmix64 of seed + (episode + 1) * golden ratio, low 32 bits."""
    z = (seed + (episode + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z ^= z >> 31
    return z & MASK32


class MT19937:
    """The Mersenne twister as GSL's gsl_rng_mt19937 seeds and runs it."""

    def __init__(self, seed):
        if seed == 0:
            seed = 4357  # GSL's default seed
        self.mt = [seed & MASK32]
        for i in range(1, 624):
            prev = self.mt[i - 1]
            self.mt.append((1812433253 * (prev ^ (prev >> 30)) + i) & MASK32)
        self.index = 624

    def _twist(self):
        mt = self.mt
        for i in range(624):
            y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
        self.index = 0

    def next32(self):
        if self.index >= 624:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y & MASK32

    def uniform_int(self, n):
        """gsl_rng_uniform_int: scale = range / n, reject k >= n."""
        scale = MASK32 // n
        while True:
            k = self.next32() // scale
            if k < n:
                return k


# ---- the model of upstream ---------------------------------------------------

PIPE_VEL_X = -4
PLAYER_MAX_VEL_Y = 10
PLAYER_ACC_Y = 1
PLAYER_VEL_ROT = 3
PLAYER_FLAP_ACC = -9
PLAYER_WIDTH = 34
PLAYER_HEIGHT = 24
PIPE_WIDTH = 52
PIPE_HEIGHT = 320
GAP_YS = [20, 30, 40, 50, 60, 70, 80, 90]


class Rect:
    """pygame.Rect as far as colliderect goes: int() of each argument."""

    def __init__(self, x, y, w, h):
        self.x, self.y, self.w, self.h = int(x), int(y), int(w), int(h)

    def colliderect(self, other):
        return (self.w > 0 and self.h > 0 and other.w > 0 and other.h > 0
                and self.x < other.x + other.w and self.y < other.y + other.h
                and self.x + self.w > other.x and self.y + self.h > other.y)


class UpstreamFlappyBird:
    """FlappyBirdEnv(use_lidar=False) of v0.4.0, gap indices given."""

    def __init__(self, gap_indices):
        self._screen_width = 288
        self._screen_height = 512
        self._pipe_gap = 100
        self._ground = {"x": 0, "y": self._screen_height * 0.79}
        self._gap_indices = gap_indices  # iterator of k in 0..7
        self._player_flapped = False

    def _get_random_pipe(self):
        index = next(self._gap_indices)
        gap_y = GAP_YS[index]
        gap_y += int(self._ground["y"] * 0.2)
        pipe_x = self._screen_width + PIPE_WIDTH + (self._screen_width * 0.2)
        return [{"x": pipe_x, "y": gap_y - PIPE_HEIGHT},
                {"x": pipe_x, "y": gap_y + self._pipe_gap}]

    def reset(self):
        self._player_x = int(self._screen_width * 0.2)
        self._player_y = int((self._screen_height - PLAYER_HEIGHT) / 2)
        self._player_vel_y = -9
        self._player_rot = 45
        self._score = 0
        p1 = self._get_random_pipe()
        p2 = self._get_random_pipe()
        p3 = self._get_random_pipe()
        xs = [self._screen_width,
              self._screen_width + (self._screen_width / 2),
              self._screen_width + self._screen_width]
        self._upper_pipes = [{"x": x, "y": p[0]["y"]} for x, p in zip(xs, (p1, p2, p3))]
        self._lower_pipes = [{"x": x, "y": p[1]["y"]} for x, p in zip(xs, (p1, p2, p3))]
        return self._get_observation_features()

    def _check_crash(self):
        if self._player_y + PLAYER_HEIGHT >= self._ground["y"] - 1:
            return True
        player = Rect(self._player_x, self._player_y, PLAYER_WIDTH, PLAYER_HEIGHT)
        for up, low in zip(self._upper_pipes, self._lower_pipes):
            if (player.colliderect(Rect(up["x"], up["y"], PIPE_WIDTH, PIPE_HEIGHT))
                    or player.colliderect(Rect(low["x"], low["y"], PIPE_WIDTH, PIPE_HEIGHT))):
                return True
        return False

    def _get_observation_features(self):
        pipes = []
        for up, low in zip(self._upper_pipes, self._lower_pipes):
            if low["x"] > self._screen_width:
                pipes.append((self._screen_width, 0, self._screen_height))
            else:
                pipes.append((low["x"], up["y"] + PIPE_HEIGHT, low["y"]))
        pipes = sorted(pipes, key=lambda p: p[0])
        pipes = [(h / self._screen_width, v1 / self._screen_height, v2 / self._screen_height)
                 for h, v1, v2 in pipes]
        pos_y = self._player_y / self._screen_height
        vel_y = self._player_vel_y / PLAYER_MAX_VEL_Y
        rot = self._player_rot / 90
        return np.array([pipes[0][0], pipes[0][1], pipes[0][2],
                         pipes[1][0], pipes[1][1], pipes[1][2],
                         pipes[2][0], pipes[2][1], pipes[2][2],
                         pos_y, vel_y, rot])

    def step(self, action):
        terminal = False
        reward = None
        if action == 1 and self._player_y > -2 * PLAYER_HEIGHT:
            self._player_vel_y = PLAYER_FLAP_ACC
            self._player_flapped = True
        player_mid_pos = self._player_x + PLAYER_WIDTH / 2
        for pipe in self._upper_pipes:
            pipe_mid_pos = pipe["x"] + PIPE_WIDTH / 2
            if pipe_mid_pos <= player_mid_pos < pipe_mid_pos + 4:
                self._score += 1
                reward = 1
        if self._player_rot > -90:
            self._player_rot -= PLAYER_VEL_ROT
        if self._player_vel_y < PLAYER_MAX_VEL_Y and not self._player_flapped:
            self._player_vel_y += PLAYER_ACC_Y
        if self._player_flapped:
            self._player_flapped = False
            self._player_rot = 45
        self._player_y += min(self._player_vel_y,
                              self._ground["y"] - self._player_y - PLAYER_HEIGHT)
        for up, low in zip(self._upper_pipes, self._lower_pipes):
            up["x"] += PIPE_VEL_X
            low["x"] += PIPE_VEL_X
            if up["x"] < -PIPE_WIDTH:
                new_up, new_low = self._get_random_pipe()
                up["x"], up["y"] = new_up["x"], new_up["y"]
                low["x"], low["y"] = new_low["x"], new_low["y"]
        obs = self._get_observation_features()
        if reward is None:
            reward = 0.1
        if self._player_y < 0:
            reward = -0.5
        if self._check_crash():
            reward = -1
            terminal = True
            self._player_vel_y = 0
        return obs, reward, terminal, {"score": self._score}


# ---- the replay --------------------------------------------------------------


class Mismatch(Exception):
    pass


def bits(value):
    return float(value).hex()


def same_bits(a, b):
    return np.asarray(a, dtype="<f8").tobytes() == np.asarray(b, dtype="<f8").tobytes()


def check_obs(recorded, upstream, episode, step):
    if same_bits(recorded, upstream):
        return
    for f in range(len(upstream)):
        if not same_bits(recorded[f], upstream[f]):
            raise Mismatch("episode %d step %d feature %d: file %r (%s), upstream %r (%s)"
                           % (episode, step, f, float(recorded[f]), bits(recorded[f]),
                              float(upstream[f]), bits(upstream[f])))


def replay(path):
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_mask(False)
        obs = np.asarray(nc["obs"][:], dtype=np.float64)
        action = np.asarray(nc["action"][:])
        reward = np.asarray(nc["reward"][:], dtype=np.float64)
        start = np.asarray(nc["episode_start"][:])
        length = np.asarray(nc["episode_length"][:])
        terminated = np.asarray(nc["terminated"][:])
        score = np.asarray(nc["score"][:])
        seed = int(nc.getncattr("seed"))
        scheme = nc.getncattr("reward_scheme")
        pilot = nc.getncattr("pilot")
    if obs.shape[1] != 12:
        raise ValueError("%s: %d features, expected the 12 of Flappy Bird" % (path, obs.shape[1]))
    if pilot.startswith("network"):
        raise ValueError("%s: pilot %s seeds its episodes from a landscape point;"
                         " record with another pilot" % (path, pilot))
    if scheme not in ("sparse", "shaped"):
        raise ValueError("%s: unknown reward_scheme %r" % (path, scheme))
    steps = 0
    for e in range(len(start)):
        rng = MT19937(episode_seed(seed, e))
        env = UpstreamFlappyBird(iter(lambda: rng.uniform_int(8), None))
        s0, n = int(start[e]), int(length[e])
        upstream_obs = env.reset()
        for t in range(n):
            check_obs(obs[s0 + t], upstream_obs, e, t)
            if int(action[s0 + t]) not in (0, 1):
                raise Mismatch("episode %d step %d: action %d is not 0 or 1"
                               % (e, t, action[s0 + t]))
            score_before = env._score
            upstream_obs, r, term, info = env.step(int(action[s0 + t]))
            if scheme == "sparse":
                r = -1.0 if term else (1.0 if info["score"] > score_before else 0.0)
            if not same_bits(reward[s0 + t], float(r)):
                raise Mismatch("episode %d step %d: reward file %r, upstream %r"
                               % (e, t, float(reward[s0 + t]), float(r)))
            if term != (t == n - 1 and bool(terminated[e])):
                raise Mismatch("episode %d step %d: upstream terminal=%s, file says"
                               " length %d terminated %d" % (e, t, term, n, terminated[e]))
            steps += 1
        if info["score"] != int(score[e]):
            raise Mismatch("episode %d: score file %d, upstream %d"
                           % (e, score[e], info["score"]))
    return len(start), steps


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: upstream_flappy.py DEMO.nc\n")
        return 2
    try:
        episodes, steps = replay(argv[1])
    except Mismatch as err:
        print("upstream_flappy.py: %s: differs from upstream v0.4.0: %s" % (argv[1], err))
        return 1
    except (OSError, KeyError, ValueError, AttributeError) as err:
        sys.stderr.write("upstream_flappy.py: %s: %s\n" % (argv[1], err))
        return 2
    print("%s: %d episodes, %d steps: obs, reward, terminated and score equal"
          " upstream v0.4.0's bit for bit" % (argv[1], episodes, steps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
