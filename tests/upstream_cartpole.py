#!/usr/bin/env python3
"""upstream_cartpole.py -- replays a CartPole demonstration file (written by
`ilrl-demo --env cartpole`) through an independent model of Gymnasium 1.x's
CartPole-v1 and checks every recorded observation, reward, termination and
episode length bit for bit.

Usage: upstream_cartpole.py DEMO.nc    exit 0 all equal, 1 a difference
                                        (first one printed), 2 bad usage or
                                        an unusable file

Gymnasium is not installed here, so this file models the parts that decide
those values, written from reading gymnasium/envs/classic_control/
cartpole.py (CartPoleEnv.step: math.cos / math.sin, ** 2, Python's
left-to-right evaluation, strict thresholds; sutton_barto_reward for the
"shaped" scheme) and the TimeLimit of CartPole-v1 (500 steps), not copied
from it.  The observation is the state rounded to float32 (numpy's astype;
here struct's 'f', the same round-to-nearest-even conversion).

What is ours, not Gymnasium's, is modelled after our own documentation
(include/ilrl/cartpole.h, include/ilrl/seed.h): episode e of a session
seeded S resets from ilrl_episode_seed(S, e) = low 32 bits of
splitmix64(S + (e + 1) * PHI), and the start state is -0.05 + 0.1 u for
x, x_dot, theta, theta_dot in that order, u = gsl_rng_uniform of GSL's
mt19937 seeded with that value (GSL's seeding: mt[0] = s, or 4357 for 0;
mt[i] = 1812433253 (mt[i-1] ^ (mt[i-1] >> 30)) + i; u = next word / 2^32),
reproduced here with Python's own MT19937 and that state.
"""
import math
import random
import struct
import sys

MASK64 = (1 << 64) - 1
PHI = 0x9E3779B97F4A7C15


def splitmix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def episode_seed(seed, e):
    return splitmix64((seed + (e + 1) * PHI) & MASK64) & 0xFFFFFFFF


def gsl_mt19937(seed):
    """A Python Random whose getrandbits(32) is GSL's mt19937 seeded `seed`."""
    s = seed & 0xFFFFFFFF or 4357
    mt = [s]
    for i in range(1, 624):
        mt.append((1812433253 * (mt[-1] ^ (mt[-1] >> 30)) + i) & 0xFFFFFFFF)
    rng = random.Random()
    rng.setstate((3, tuple(mt + [624]), None))
    return rng


class CartPole:
    gravity = 9.8
    masscart = 1.0
    masspole = 0.1
    total_mass = masspole + masscart
    length = 0.5
    polemass_length = masspole * length
    force_mag = 10.0
    tau = 0.02
    theta_threshold_radians = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def reset(self, seed):
        rng = gsl_mt19937(seed)
        self.state = tuple(-0.05 + (0.05 - -0.05) * (rng.getrandbits(32) / 4294967296.0)
                           for _ in range(4))

    def step(self, action, shaped):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        costheta = math.cos(theta)
        sintheta = math.sin(theta)
        temp = (force + self.polemass_length * theta_dot ** 2 * sintheta) / self.total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / self.total_mass))
        xacc = temp - self.polemass_length * thetaacc * costheta / self.total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = (x, x_dot, theta, theta_dot)
        terminated = (x < -self.x_threshold or x > self.x_threshold
                      or theta < -self.theta_threshold_radians
                      or theta > self.theta_threshold_radians)
        if shaped:
            reward = -1.0 if terminated else 0.0
        else:
            reward = 1.0
        return reward, terminated

    def observe(self):
        return [struct.unpack("f", struct.pack("f", v))[0] for v in self.state]


def main(argv):
    if len(argv) != 2:
        print("usage: upstream_cartpole.py DEMO.nc", file=sys.stderr)
        return 2
    try:
        import netCDF4
        demo = netCDF4.Dataset(argv[1])
        obs = demo["obs"][:].tolist()
        action = [int(a) for a in demo["action"][:]]
        reward = [float(r) for r in demo["reward"][:]]
        start = [int(s) for s in demo["episode_start"][:]]
        length = [int(n) for n in demo["episode_length"][:]]
        terminated = [int(t) for t in demo["terminated"][:]]
        seed = int(demo.seed)
        scheme = demo.reward_scheme
        env = demo.env
    except Exception as error:  # an unusable file
        print("%s: %s" % (argv[1], error), file=sys.stderr)
        return 2
    if env != "cartpole" or scheme not in ("default", "shaped"):
        print("%s: not a cartpole demonstration (env %s, scheme %s)" % (argv[1], env, scheme),
              file=sys.stderr)
        return 2
    game = CartPole()
    for e, (s, n) in enumerate(zip(start, length)):
        game.reset(episode_seed(seed, e))
        ended = False
        for t in range(s, s + n):
            if ended:
                print("episode %d: recorded past the end at step %d" % (e, t))
                return 1
            if obs[t] != game.observe():
                print("step %d: observation %r, Gymnasium %r" % (t, obs[t], game.observe()))
                return 1
            r, ended = game.step(action[t], scheme == "shaped")
            if reward[t] != r:
                print("step %d: reward %r, Gymnasium %r" % (t, reward[t], r))
                return 1
            if t - s + 1 == 500 and not ended:
                ended = True    # CartPole-v1's TimeLimit
                if terminated[e]:
                    print("episode %d: truncated at 500 but marked terminated" % e)
                    return 1
        if (ended and not terminated[e] and n != 500) or (terminated[e] and not ended):
            print("episode %d: terminated = %d, Gymnasium's pole %s" %
                  (e, terminated[e], "fell" if ended else "stood"))
            return 1
    print("%s: %d episodes, %d steps: observations, rewards and terminations equal "
          "Gymnasium's bit for bit" % (argv[1], len(length), sum(length)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
