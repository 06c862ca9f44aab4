#!/usr/bin/env python3
"""bench_numpy.py -- the numpy way, for `make bench`'s comparison row.

The same computation as ilrl-landscape's --plane PLANE on DEMO.nc: for a
batch of grid points at a time, theta(x, y) = theta0 + x d_x + y d_y for each,
the full forward pass of the 12,64,64,2 tanh network over all N samples as
batched matmuls (np.matmul over (points, N, width) stacks -> OpenBLAS), a
stable log-softmax, and both losses.  theta0 and the directions are read from
a landscape file written by ilrl-landscape for the same demo and plane, so
the two programs evaluate the very same points; the result is checked
against that file.

usage: bench_numpy.py LANDSCAPE.nc DEMO.nc N_POINTS [BATCH [REPEATS]]
prints: points seconds sample-evaluations/s max-relative-difference, the
seconds of the fastest of REPEATS passes (numpy's rate varies by +-20%
from run to run on these machines: the best is the fair baseline).
"""
import sys
import time

import numpy as np
import netCDF4


def rl_weights_return(reward, start, length, gamma):
    g = np.zeros_like(reward)
    for s, n in zip(start, length):
        acc = 0.0
        for t in range(s + n - 1, s - 1, -1):
            acc = reward[t] + gamma * acc
            g[t] = acc
    return g


def main():
    landscape_path, demo_path, n_points = sys.argv[1], sys.argv[2], int(sys.argv[3])
    batch = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    with netCDF4.Dataset(demo_path) as demo:
        obs = np.array(demo["obs"][:], dtype=np.float64)
        action = np.array(demo["action"][:], dtype=np.int64)
        reward = np.array(demo["reward"][:], dtype=np.float64)
        start = np.array(demo["episode_start"][:])
        length = np.array(demo["episode_length"][:])
    with netCDF4.Dataset(landscape_path) as ls:
        sizes = [int(v) for v in ls.layer_sizes]
        gamma = float(ls.gamma)
        theta0 = np.array(ls["theta0"][:])
        dx = np.array(ls["direction_x"][:])
        dy = np.array(ls["direction_y"][:])
        xs = np.array(ls["x"][:])
        ys = np.array(ls["y"][:])
        il_file = np.array(ls["il_loss"][:])
        rl_file = np.array(ls["rl_loss"][:])
    weight = rl_weights_return(reward, start, length, gamma)
    n = obs.shape[0]
    # layout: W_l row-major (out x in), then b_l
    layout, off = [], 0
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        layout.append((off, off + n_out * n_in, off + n_out * n_in + n_out, n_out, n_in))
        off += n_out * (n_in + 1)
    # points in row-major grid order
    grid = [(j, i) for j in range(len(ys)) for i in range(len(xs))][:n_points]
    rows = np.arange(n)
    worst = 0.0
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for b0 in range(0, len(grid), batch):
            pts = grid[b0:b0 + batch]
            px = np.array([xs[i] for j, i in pts])[:, None]
            py = np.array([ys[j] for j, i in pts])[:, None]
            theta = theta0[None, :] + px * dx[None, :] + py * dy[None, :]   # (B, P)
            a = obs[None, :, :]
            for k, (w0, b_start, b_end, n_out, n_in) in enumerate(layout):
                W = theta[:, w0:b_start].reshape(-1, n_out, n_in)
                bias = theta[:, b_start:b_end][:, None, :]
                z = np.matmul(a, W.transpose(0, 2, 1)) + bias
                a = np.tanh(z) if k + 1 < len(layout) else z
            zmax = a.max(axis=2, keepdims=True)
            lse = zmax[:, :, 0] + np.log(np.exp(a - zmax).sum(axis=2))
            logp = a[:, rows, action] - lse                              # (B, N)
            il = -logp.mean(axis=1)
            rl = -(logp * weight[None, :]).mean(axis=1)
            for (j, i), v_il, v_rl in zip(pts, il, rl):
                worst = max(worst, abs(v_il - il_file[j, i]) / abs(il_file[j, i]),
                            abs(v_rl - rl_file[j, i]) / max(abs(rl_file[j, i]), 1e-300))
        best = min(best, time.perf_counter() - t0)
    print(f"{len(grid)} {best:.4f} {len(grid) * n / best:.4g} {worst:.3g}")


if __name__ == "__main__":
    main()
