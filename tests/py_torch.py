"""py_torch.py -- ilrl.torch against the C library.

1. What cannot be exported is refused (NetworkError, exit status 3), one
   line naming the layer, no file left behind.
2. export -> load round trip: identical parameters, bit for bit, for tanh
   and relu networks with non-square layers (a transposed weight could not
   even be loaded back into them), float32 modules widened exactly.
3. C -> torch: a network file written by `ilrl-train --save-network` after
   a few epochs of behaviour cloning, loaded into torch, gives L_IL and L_RL
   on the demonstration equal to ilrl-landscape's at that theta
   (--theta, the plane's centre) to 1e-12.
4. torch -> C, the key test: PyTorch MLPs exported, landscapes computed at
   their theta (--theta net.nc, a 3 x 3 grid with 0 at its centre): L_IL and
   L_RL at the centre equal PyTorch's own cross-entropy on the same demo --
   F.cross_entropy (mean NLL of the demonstrated actions), and the
   REINFORCE surrogate of docs/network-and-losses.md, -(1/N) sum_t w_t
   log pi(a_t|s_t), with w_t the discounted reward-to-go (and, for
   --rl-weight advantage, minus its mean) -- to 1e-12 in float64; the
   file's theta0 is the exported theta bit for bit.  Flappy Bird (12
   inputs, tanh) and CartPole (4 inputs, relu).

argv: ilrl-landscape, ilrl-train, ilrl-demo, the MPI launcher; cwd a
scratch directory.
"""

import os
import sys

import netCDF4
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ilrl.demo import open_demo
from ilrl.torch import NetworkError, export_network, load_network, network_theta
from pycheck import check, finish, run

LANDSCAPE, TRAIN, DEMO, MPIRUN = sys.argv[1:5]
TOLERANCE = 1e-12


# ---- 1. refusals ------------------------------------------------------------------
class Custom(nn.Module):
    def forward(self, x):
        return x


REFUSED = [
    ("custom", Custom(), "the module is a Custom, not an nn.Sequential"),
    ("empty", nn.Sequential(), "the nn.Sequential is empty"),
    ("sigmoid", nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)),
     "layer 1 (Sigmoid) cannot be exported: only Linear, Tanh and ReLU layers"),
    ("softmax", nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.Softmax(dim=1)),
     "layer 3 (Softmax) cannot be exported"),
    ("dropout", nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1), nn.Linear(4, 2)),
     "layer 1 (Dropout) cannot be exported"),
    ("mixed", nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 4), nn.ReLU(),
                            nn.Linear(4, 2)),
     "layer 3 (ReLU): the network mixes activations (tanh before)"),
    ("linear-linear", nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)),
     "layer 1 (Linear) follows a Linear layer without an activation"),
    ("activation-first", nn.Sequential(nn.Tanh(), nn.Linear(3, 2)),
     "layer 0 (Tanh) starts the network"),
    ("two-activations", nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Tanh(), nn.Linear(4, 2)),
     "layer 2 (Tanh) follows another activation"),
    ("no-bias", nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2, bias=False)),
     "layer 2 (Linear) has no bias"),
    ("last-activation", nn.Sequential(nn.Linear(3, 4), nn.Tanh()),
     "the last layer (1, Tanh) must be Linear"),
    ("one-output", nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)),
     "has 1 output; a policy needs at least 2 actions"),
    ("nested", nn.Sequential(nn.Sequential(nn.Linear(3, 2))),
     "layer 0 (Sequential) cannot be exported"),
]
nan_net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
with torch.no_grad():
    nan_net[2].weight[1, 3] = float("nan")
REFUSED.append(("nan", nan_net, "layer 2 (Linear): its weight holds NaN or infinite values"))
for name, module, expected in REFUSED:
    path = f"refused-{name}.nc"
    try:
        export_network(module, path)
        check(False, f"{name}: exported")
    except NetworkError as error:
        text = str(error)
        check(expected in text and "\n" not in text and error.status == 3,
              f"{name}: message {text!r} (status {error.status}) lacks {expected!r}")
    check(not any(entry.startswith(path) for entry in os.listdir(".")),
          f"{name}: a file was left behind")
print(f"refusals: {len(REFUSED)} modules refused with their layer named")


# ---- 2. round trip -----------------------------------------------------------------
def same_parameters(a, b):
    pa, pb = list(a.state_dict().items()), list(b.state_dict().items())
    return (len(pa) == len(pb) and all(ka == kb and va.shape == vb.shape and
                                       torch.equal(va.to(torch.float64), vb)
                                       for (ka, va), (kb, vb) in zip(pa, pb)))


torch.manual_seed(11)
for activation, dtype in ((nn.Tanh, torch.float64), (nn.ReLU, torch.float64),
                          (nn.Tanh, torch.float32)):
    net = nn.Sequential(nn.Linear(5, 7), activation(), nn.Linear(7, 3), activation(),
                        nn.Linear(3, 4)).to(dtype)
    path = f"round-{activation.__name__}-{str(dtype)[6:]}.nc"
    export_network(net, path)
    back = load_network(path)
    check(same_parameters(net, back), f"{path}: parameters changed in the round trip")
    check([type(layer) for layer in back] == [type(layer) for layer in net],
          f"{path}: layers {list(back)}")
    check(all(p.dtype == torch.float64 for p in back.parameters()), f"{path}: not float64")
    with netCDF4.Dataset(path) as d:
        check(list(d.layer_sizes) == [5, 7, 3, 4] and d.ilrl_file_kind == "network"
              and d.activation == activation.__name__.lower(), f"{path}: attributes")
        theta = d["theta"][:]
        # the layout of docs/network-and-losses.md: W1 row by row, then b1, ...
        check(theta[7 * 5 - 1] == float(net[0].weight[6, 4]) and
              theta[7 * 5] == float(net[0].bias[0]) and
              theta[7 * 6] == float(net[2].weight[0, 0]) and
              theta[7 * 6 + 1] == float(net[2].weight[0, 1]), f"{path}: layout")
    x = torch.randn(9, 5, dtype=torch.float64)
    check(torch.equal(back(x), net.to(torch.float64)(x)), f"{path}: outputs differ")
try:
    export_network(net, path)
    check(False, "an existing file was overwritten without force")
except OSError as error:
    check(getattr(error, "status", None) == 4 and "exists" in str(error),
          f"existing file: {error}")
export_network(net, path, force=True)
for bad, expected in (("missing.nc", "missing.nc: cannot open"),
                      ("refused-nan.nc", "refused-nan.nc: cannot open"),
                      (".", ".: is a directory")):
    try:
        load_network(bad)
        check(False, f"load_network({bad!r}) accepted")
    except NetworkError as error:
        check(str(error).startswith(expected) and error.status == 3,
              f"load_network({bad!r}): {error}")
print("round trip: identical parameters")


# ---- losses as PyTorch computes them -------------------------------------------------
def demo_data(path):
    ds = open_demo(path)
    obs = torch.from_numpy(np.asarray(ds["obs"].values, dtype=np.float64))
    action = torch.from_numpy(np.asarray(ds["action"].values, dtype=np.int64))
    reward = np.asarray(ds["reward"].values, dtype=np.float64)
    starts = np.asarray(ds["episode_start"].values, dtype=np.int64)
    lengths = np.asarray(ds["episode_length"].values, dtype=np.int64)
    return obs, action, reward, starts, lengths


def reward_to_go(reward, starts, lengths, gamma):
    g = np.zeros_like(reward)
    for start, length in zip(starts, lengths):
        following = 0.0
        for t in range(start + length - 1, start - 1, -1):
            following = reward[t] + gamma * following
            g[t] = following
    return g


def torch_losses(net, data, gamma, rl_weight):
    obs, action, reward, starts, lengths = data
    with torch.no_grad():
        logits = net(obs)
        il = F.cross_entropy(logits, action)
        weights = reward_to_go(reward, starts, lengths, gamma)
        if rl_weight == "advantage":
            weights = weights - weights.mean()
        nll = F.cross_entropy(logits, action, reduction="none")
        rl = (torch.from_numpy(weights) * nll).mean()
    return float(il), float(rl)


def landscape_centre(network, demo, out, rl_weight="return"):
    run(*MPIRUN.split(), "-n", "2", LANDSCAPE, "--demo", demo, "--theta", network,
        "--plane", "random:3", "--nx", "3", "--ny", "3", "--x-range", "-1:1",
        "--y-range", "-1:1", "--rl-weight", rl_weight, "--quiet", "--out", out)
    with netCDF4.Dataset(out) as d:
        check(float(d["x"][1]) == 0.0 and float(d["y"][1]) == 0.0, f"{out}: no centre at 0")
        return (float(d["il_loss"][1, 1]), float(d["rl_loss"][1, 1]), float(d.gamma),
                np.asarray(d["theta0"][:]))


def agree(label, c_value, torch_value):
    error = abs(c_value - torch_value)
    check(error <= TOLERANCE * max(1.0, abs(torch_value)),
          f"{label}: C {c_value!r}, torch {torch_value!r} (difference {error:.3g})")
    return error


run(DEMO, "--pilot", "noisy:0.2", "--episodes", "3", "--max-steps", "300", "--seed", "5",
    "--quiet", "--out", "flappy.nc")
try:
    load_network("flappy.nc")
    check(False, "load_network accepted a demonstration")
except NetworkError as error:
    check(str(error) == "flappy.nc: ilrl_file_kind is 'demonstration', not 'network'",
          f"load_network(demo): {error}")
run(DEMO, "--env", "cartpole", "--pilot", "random", "--episodes", "4", "--max-steps", "200",
    "--seed", "2", "--quiet", "--out", "cartpole.nc")

# ---- 3. C -> torch: a network ilrl-train wrote -----------------------------------------
run(*MPIRUN.split(), "-n", "1", TRAIN, "--demo", "flappy.nc", "--layers", "12,9,5,2",
    "--il-epochs", "3", "--eval-episodes", "0", "--quiet", "--out", "trained-traj.nc",
    "--save-network", "trained.nc")
trained = load_network("trained.nc")
check([layer.out_features for layer in trained if isinstance(layer, nn.Linear)] == [9, 5, 2],
      f"trained.nc: layers {list(trained)}")
il_c, rl_c, gamma, theta0 = landscape_centre("trained.nc", "flappy.nc", "trained-land.nc")
il_t, rl_t = torch_losses(trained, demo_data("flappy.nc"), gamma, "return")
worst = max(agree("ilrl-train's network: L_IL", il_c, il_t),
            agree("ilrl-train's network: L_RL", rl_c, rl_t))
check(np.array_equal(network_theta(trained)[2], theta0), "trained.nc: theta differs")
print(f"C -> torch: L_IL {il_t:.15g}, L_RL {rl_t:.15g}, worst difference {worst:.3g}")

# ---- 4. torch -> C: the key test --------------------------------------------------------
torch.manual_seed(3)
CASES = [("flappy.nc", nn.Sequential(nn.Linear(12, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(),
                                     nn.Linear(8, 2)), "return"),
         ("flappy.nc", nn.Sequential(nn.Linear(12, 6), nn.Tanh(), nn.Linear(6, 2)), "advantage"),
         ("cartpole.nc", nn.Sequential(nn.Linear(4, 10), nn.ReLU(), nn.Linear(10, 7), nn.ReLU(),
                                       nn.Linear(7, 2)), "return")]
for index, (demo, net, rl_weight) in enumerate(CASES):
    net = net.to(torch.float64)
    with torch.no_grad():   # larger weights: logits far from 0, a real test of the softmax
        for parameter in net.parameters():
            parameter.mul_(3.0)
    export_network(net, f"mine-{index}.nc")
    il_c, rl_c, gamma, theta0 = landscape_centre(f"mine-{index}.nc", demo,
                                                 f"mine-{index}-land.nc", rl_weight)
    il_t, rl_t = torch_losses(net, demo_data(demo), gamma, rl_weight)
    worst = max(agree(f"case {index}: L_IL", il_c, il_t), agree(f"case {index}: L_RL", rl_c, rl_t))
    check(np.array_equal(network_theta(net)[2], theta0),
          f"case {index}: the landscape's theta0 is not the exported theta")
    print(f"torch -> C, {demo} {rl_weight}: L_IL {il_t:.15g} (C {il_c:.15g}), "
          f"L_RL {rl_t:.15g} (C {rl_c:.15g}), worst difference {worst:.3g}")

finish("py_torch")
