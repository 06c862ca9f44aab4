#!/usr/bin/env python3
"""torch_peer.py -- the PyTorch peer of ilrl-train for `make bench`: what a
competent PyTorch user would write for the same training, timed.

Usage: torch_peer.py bc DEMO.nc [--threads N] [--batch 256] [--samples 20480]
                                [--repeats 5] [--seed 1]
       torch_peer.py rl [--algo ppo|reinforce] [--env flappy-bird|cartpole]
                        [--threads N] [--episodes 32] [--max-steps 1000]
                        [--rewards shaped|sparse]
                        [--seconds 8] [--seed 1]

Each measurement prints one line, `peer bc ...` or `peer rl ...`, of
key=value pairs: the settings, then the rates.  Exit 0, or 2 on bad usage
or an unusable file (one line on stderr).

What is measured (the decisions a user would make, written down):
  * The network is docs/network-and-losses.md's default, 12-64-64-2 tanh,
    an nn.Sequential of Linear/Tanh, float64 throughout (our precision);
    torch's own initialisation (the values do not change the speed).
    torch.set_num_threads(N); nothing else touches threads.
  * bc: behaviour cloning on the demo's (obs, action) pairs, read with
    netCDF4 into two tensors once.  One step = index a minibatch of
    --batch rows (an epoch's torch.randperm, sliced), cross-entropy (the
    mean negative log-likelihood, L_IL), zero_grad(set_to_none), backward,
    Adam(lr 1e-3).step().  Adam uses foreach=True, the multi-tensor path
    (1.13 picks the per-tensor loop on the CPU by default; foreach was up
    to 1.2x faster in a quiet moment, never clearly slower).  The network
    is not scripted or traced: nn.Sequential, as most users run it (a
    frozen torch.jit.trace forwarded a 32-row batch ~1.4x faster).  After 20 warm-up steps, --repeats passes of --samples
    samples each are timed with perf_counter; printed: the median pass's
    and the best pass's samples/s.
  * rl: on-policy policy gradient in tests/peer/flappy_np.py (our Flappy
    Bird, vectorised; gaps from a numpy Generator).  An update plays
    --episodes games in lockstep for at most --max-steps frames: per frame
    one batched forward (torch.inference_mode) over the live games only,
    actions sampled as u < pi(flap) from the log-softmax (two actions: the
    same distribution as Categorical, without its per-call checks), one
    env.step() for the batch.  Then discounted returns-to-go (gamma 0.99,
    nothing added after an episode's last frame, crash or truncation),
    advantages G - mean(G) over the batch divided by std(G) (a batch-mean
    baseline, no value network).  reinforce: one forward over all the
    update's samples, loss -mean(A log pi(a|s)), backward, Adam step.
    ppo: 4 epochs x 4 minibatches of a randperm, clipped surrogate (0.2)
    on the ratio to the rollout's log-probabilities, an Adam step per
    minibatch.  Adam lr 1e-3, foreach.  --env cartpole: the same on
    tests/peer/cartpole_np.py (4 inputs, at most 500 frames, `sparse`
    meaning CartPole's default +1 per step).  One warm-up update, then updates
    until --seconds have passed; printed: environment frames per second
    overall (rollouts + learning) and for the rollouts alone, with the
    updates, frames and mean episode length (the policy learns while
    measured, so the lengths are part of the setting).
  * Both print cpu_per_wall, the process's CPU seconds over the timed wall
    seconds: about 1 (1 thread) or 2 (2 threads) when it had the cores to
    itself; less says how much a shared machine took, so read the rates
    together with it.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import cartpole_np  # noqa: E402
import flappy_np  # noqa: E402

LAYERS = (12, 64, 64, 2)
LR = 1e-3
GAMMA = 0.99
CLIP = 0.2
PPO_EPOCHS = 4
MINIBATCHES = 4
WARMUP_STEPS = 20


def make_net(features=LAYERS[0]):
    layers = (features,) + LAYERS[1:]
    mods = []
    for i in range(len(layers) - 1):
        mods.append(nn.Linear(layers[i], layers[i + 1]))
        if i < len(layers) - 2:
            mods.append(nn.Tanh())
    return nn.Sequential(*mods).double()


def load_demo(path):
    import netCDF4
    with netCDF4.Dataset(path) as nc:
        nc.set_auto_mask(False)
        obs = np.asarray(nc["obs"][:], dtype=np.float64)
        action = np.asarray(nc["action"][:], dtype=np.int64)
    if obs.ndim != 2 or obs.shape[1] != LAYERS[0] or len(action) != len(obs) or len(obs) == 0:
        raise ValueError("%s: expected obs (N, %d) and action (N), got %s and %s"
                         % (path, LAYERS[0], obs.shape, action.shape))
    return torch.from_numpy(obs), torch.from_numpy(action)


def bench_bc(args):
    X, y = load_demo(args.demo)
    n = len(X)
    net = make_net()
    opt = torch.optim.Adam(net.parameters(), lr=LR, foreach=True)
    state = {"perm": torch.randperm(n), "at": 0}

    def step():
        if state["at"] + args.batch > n:
            state["perm"], state["at"] = torch.randperm(n), 0
        idx = state["perm"][state["at"]:state["at"] + args.batch]
        state["at"] += args.batch
        loss = F.cross_entropy(net(X[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for _ in range(WARMUP_STEPS):
        step()
    steps = max(1, -(-args.samples // args.batch))
    rates = []
    wall = cpu = 0.0
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        dt = time.perf_counter() - t0
        wall += dt
        cpu += time.process_time() - c0
        rates.append(steps * args.batch / dt)
    print("peer bc threads=%d batch=%d demo_samples=%d samples_per_pass=%d passes=%d"
          " cpu_per_wall=%.2f samples_per_s=%.4g best_samples_per_s=%.4g"
          % (args.threads, args.batch, n, steps * args.batch, args.repeats, cpu / wall,
             statistics.median(rates), max(rates)))


def rollout(net, env, gaps, args):
    """One update's episodes; returns (obs, action, logp, G, frames)."""
    B, T = args.episodes, args.max_steps
    obs_buf = np.zeros((T, B, args.features))
    act_buf = np.zeros((T, B), dtype=np.int64)
    logp_buf = np.zeros((T, B))
    rew_buf = np.zeros((T, B))
    live_buf = np.zeros((T, B), dtype=bool)
    obs = env.reset(gaps)
    action = np.zeros(B, dtype=np.int64)
    t_end = T
    with torch.inference_mode():
        for t in range(T):
            live = np.flatnonzero(~env.done)
            if live.size == 0:
                t_end = t
                break
            o = obs[live]
            logp = F.log_softmax(net(torch.from_numpy(o)), dim=1)
            a = (torch.rand(live.size, dtype=torch.float64) < logp[:, 1].exp()).long()
            a_np = a.numpy()
            action[:] = 0
            action[live] = a_np
            obs_buf[t, live] = o
            act_buf[t, live] = a_np
            logp_buf[t, live] = logp.gather(1, a[:, None])[:, 0].numpy()
            live_buf[t, live] = True
            obs, reward, _ = env.step(action)
            rew_buf[t] = reward
    # Returns-to-go: dead games reward 0, so nothing leaks past an episode.
    G = np.zeros((t_end, B))
    g = np.zeros(B)
    for t in range(t_end - 1, -1, -1):
        g = rew_buf[t] + GAMMA * g
        G[t] = g
    mask = live_buf[:t_end]
    return (obs_buf[:t_end][mask], act_buf[:t_end][mask], logp_buf[:t_end][mask],
            G[mask], int(mask.sum()))


def learn(net, opt, algo, obs, act, logp_old, G):
    X = torch.from_numpy(obs)
    A = torch.from_numpy(act)
    adv = G - G.mean()
    std = adv.std()
    adv = torch.from_numpy(adv / std if std > 0 else adv)
    if algo == "reinforce":
        lp = F.log_softmax(net(X), dim=1).gather(1, A[:, None])[:, 0]
        loss = -(lp * adv).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return
    old = torch.from_numpy(logp_old)
    n = len(X)
    for _ in range(PPO_EPOCHS):
        perm = torch.randperm(n)
        for idx in torch.chunk(perm, MINIBATCHES):
            lp = F.log_softmax(net(X[idx]), dim=1).gather(1, A[idx, None])[:, 0]
            ratio = torch.exp(lp - old[idx])
            a = adv[idx]
            loss = -torch.min(ratio * a, torch.clamp(ratio, 1 - CLIP, 1 + CLIP) * a).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def bench_rl(args):
    rng = np.random.default_rng(args.seed)
    if args.env == "cartpole":
        args.features = cartpole_np.N_FEATURES
        args.max_steps = min(args.max_steps, cartpole_np.TIME_LIMIT)
        args.rewards = "default" if args.rewards == "sparse" else args.rewards
        env = cartpole_np.CartPoleBatch(args.episodes, args.rewards)
        gaps = cartpole_np.numpy_starts(rng)
    else:
        args.features = flappy_np.N_FEATURES
        env = flappy_np.FlappyBatch(args.episodes, args.rewards)
        gaps = flappy_np.numpy_gaps(rng)
    net = make_net(args.features)
    opt = torch.optim.Adam(net.parameters(), lr=LR, foreach=True)
    batch = rollout(net, env, gaps, args)  # warm-up
    learn(net, opt, args.algo, *batch[:4])
    updates = frames = 0
    t_roll = t_all = 0.0
    c0 = time.process_time()
    while t_all < args.seconds:
        t0 = time.perf_counter()
        batch = rollout(net, env, gaps, args)
        t1 = time.perf_counter()
        learn(net, opt, args.algo, *batch[:4])
        t2 = time.perf_counter()
        t_roll += t1 - t0
        t_all += t2 - t0
        frames += batch[4]
        updates += 1
    cpu = time.process_time() - c0
    print("peer rl env=%s algo=%s threads=%d episodes=%d max_steps=%d rewards=%s updates=%d"
          " frames=%d mean_length=%.1f seconds=%.2f cpu_per_wall=%.2f steps_per_s=%.4g"
          " rollout_steps_per_s=%.4g"
          % (args.env, args.algo, args.threads, args.episodes, args.max_steps, args.rewards, updates,
             frames, frames / (updates * args.episodes), t_all, cpu / t_all, frames / t_all,
             frames / t_roll))


class Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write("torch_peer.py: %s\n" % message)
        sys.exit(2)


def main(argv):
    p = Parser(prog="torch_peer.py")
    sub = p.add_subparsers(dest="what", required=True)
    for name in ("bc", "rl"):
        s = sub.add_parser(name)
        s.add_argument("--threads", type=int, default=1)
        s.add_argument("--seed", type=int, default=1)
        s.error = p.error
    bc = sub.choices["bc"]
    bc.add_argument("demo")
    bc.add_argument("--batch", type=int, default=256)
    bc.add_argument("--samples", type=int, default=20480)
    bc.add_argument("--repeats", type=int, default=5)
    rl = sub.choices["rl"]
    rl.add_argument("--algo", choices=("ppo", "reinforce"), default="ppo")
    rl.add_argument("--env", choices=("flappy-bird", "cartpole"), default="flappy-bird")
    rl.add_argument("--episodes", type=int, default=32)
    rl.add_argument("--max-steps", type=int, default=1000)
    rl.add_argument("--rewards", choices=("shaped", "sparse"), default="shaped")
    rl.add_argument("--seconds", type=float, default=8.0)
    args = p.parse_args(argv[1:])
    for key in ("threads", "batch", "samples", "repeats", "episodes", "max_steps"):
        if getattr(args, key, 1) < 1:
            p.error("--%s must be at least 1" % key.replace("_", "-"))
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    try:
        if args.what == "bc":
            bench_bc(args)
        else:
            bench_rl(args)
    except (OSError, KeyError, ValueError) as err:
        sys.stderr.write("torch_peer.py: %s\n" % err)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
