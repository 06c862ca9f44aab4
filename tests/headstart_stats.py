#!/usr/bin/python3
"""headstart_stats.py -- the head-start analysis (results/headstart/headstart.py)
against hand computations on small synthetic inputs: the IQM of known
numbers, the stratified bootstrap (per-stratum counts kept, the exact
resampling distribution of a 2-seed stratum, coverage of the true IQM), and
the per-run metrics and tables of the gather on synthetic trajectory files.
Run by tests/headstart.sh: headstart_stats.py ANALYSIS_SCRIPT SCRATCH_DIR."""
import csv
import importlib.util
import math
import os
import shutil
import sys

import numpy as np

failures = 0


def check(cond, what):
    global failures
    if cond:
        print("ok: " + what)
    else:
        failures += 1
        print("FAIL: " + what)


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


spec = importlib.util.spec_from_file_location("headstart", sys.argv[1])
hs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hs)
scratch = sys.argv[2]

# ---- IQM of known numbers --------------------------------------------------------
check(close(hs.iqm(np.arange(1, 11)), 5.5), "IQM of 1..10 = mean of 3..8 = 5.5")
check(close(hs.iqm([10, 1, 9, 2, 8, 3, 7, 4]), 5.5), "IQM of 1,2,3,4,7,8,9,10 = mean of 3,4,7,8 = 5.5")
check(close(hs.iqm([100.0, -50.0, 1.0, 2.0, 3.0]), 2.0), "IQM of 5 values drops one each end: mean(1,2,3) = 2")
check(close(hs.iqm([4.0, 7.0]), 5.5) and close(hs.iqm([3.0]), 3.0), "IQM of 1 or 2 values is their mean")
check(math.isinf(hs.iqm([1.0, 2.0, math.inf, math.inf, math.inf])), "IQM with a never-reached (+inf) in the middle is +inf")
check(close(hs.iqm([1.0, 2.0, 3.0, 4.0, math.inf]), 3.0), "IQM drops a single +inf of 5 values")
try:
    from scipy.stats import trim_mean
    rng = np.random.default_rng(5)
    ok = all(close(hs.iqm(x), trim_mean(x, 0.25), 1e-12)
             for n in range(1, 23) for x in [rng.normal(size=n) * 10])
    check(ok, "IQM equals scipy.stats.trim_mean(x, 0.25) for n = 1..22")
except ImportError:
    print("note: scipy absent, trim_mean comparison skipped")
m = np.array([[1.0, 5.0], [2.0, 6.0], [3.0, 7.0], [4.0, 100.0]])
check(np.allclose(hs.iqm(m, axis=0), [2.5, 6.5]), "IQM along axis 0 is per column")

# ---- stratified resampling keeps per-stratum counts -------------------------------
rng = np.random.default_rng(1)
a = np.array([1.0, 2.0, 3.0])
b = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0])
(ra, rb), (ia, ib) = hs.stratified_resample([a, b], 1000, rng)
check(ra.shape == (1000, 3) and rb.shape == (1000, 7), "each resample keeps its stratum's count (3 and 7)")
check(set(np.unique(ra)) <= set(a) and set(np.unique(rb)) <= set(b), "resamples draw only from their own stratum")
check(np.array_equal(ra, a[ia]) and ia.min() == 0 and ia.max() == 2, "indices cover the stratum, with replacement")
check(any(len(set(r)) < 3 for r in ia), "with replacement: some resample repeats a seed")

# exact distribution for 2 seeds {1, 3}: mean 1 (1/4), 2 (1/2), 3 (1/4)
rng = np.random.default_rng(2)
(r,), _ = hs.stratified_resample([np.array([1.0, 3.0])], 20000, rng)
stats = hs.iqm(r, axis=1)
freq = {v: np.mean(stats == v) for v in (1.0, 2.0, 3.0)}
check(abs(freq[1.0] - 0.25) < 0.015 and abs(freq[2.0] - 0.5) < 0.015 and abs(freq[3.0] - 0.25) < 0.015,
      "2-seed bootstrap: IQM 1, 2, 3 with frequencies %.3f %.3f %.3f (1/4, 1/2, 1/4)" % (freq[1.0], freq[2.0], freq[3.0]))
v, lo, hi = hs.iqm_ci([1.0, 3.0], 4000, np.random.default_rng(3))
check(v == 2.0 and lo == 1.0 and hi == 3.0, "2-seed IQM 2 with CI [1, 3] (the extremes, no interpolation)")
v, lo, hi = hs.iqm_ci([4.0] * 6, 2000, np.random.default_rng(3))
check(v == lo == hi == 4.0, "equal values: a zero-width CI")
v, lo, hi = hs.iqm_ci([1.0, 2.0, math.inf, math.inf, math.inf, math.inf], 2000, np.random.default_rng(3))
check(math.isinf(v) and math.isinf(hi) and not math.isnan(lo), "never-reached values give +inf, not NaN")

# the same Generator seed gives the same interval
x = np.random.default_rng(9).normal(size=10)
check(hs.iqm_ci(x, 2000, np.random.default_rng(17)) == hs.iqm_ci(x, 2000, np.random.default_rng(17)),
      "fixed RNG seed: identical intervals")

# coverage of the true IQM: N(0, 1) samples of 20, population IQM 0
rng = np.random.default_rng(4)
experiments = 200
covered = 0
for _ in range(experiments):
    _, lo, hi = hs.iqm_ci(rng.normal(size=20), 2000, rng)
    covered += lo <= 0.0 <= hi
check(0.87 <= covered / experiments <= 0.99,
      "95%% CI covers the true IQM in %d of %d synthetic experiments" % (covered, experiments))
# a difference of two conditions: true difference 2
covered = 0
for _ in range(100):
    d, lo, hi = hs.iqm_difference_ci(rng.normal(2.0, 1.0, 10), rng.normal(0.0, 1.0, 12), 2000, rng)
    covered += lo <= 2.0 <= hi
check(0.85 <= covered / 100 <= 1.0, "CI of a difference (10 vs 12 seeds) covers 2 in %d of 100" % covered)

# ---- the gather on synthetic trajectories -----------------------------------------
import netCDF4


def trajectory(path, il_evals, rl_points, rl_steps, score_offset=1.0, samples_per_epoch=50):
    """A trajectory with IL rows (evaluated as il_evals, NaN = not evaluated)
    and RL rows (env_steps, eval) pairs; eval_score = eval_return + offset."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    phase = [0] * len(il_evals) + [1] * len(rl_points)
    steps = [0] * len(il_evals) + [s for s, _ in rl_points]
    ret = list(il_evals) + [y for _, y in rl_points]
    samples = [samples_per_epoch * i for i in range(len(il_evals))] + \
        [samples_per_epoch * max(len(il_evals) - 1, 0)] * len(rl_points)
    with netCDF4.Dataset(path, "w") as d:
        d.createDimension("update", None)
        for name, kind, values in (("phase", "i4", phase), ("env_steps", "i8", steps),
                                   ("samples", "i8", samples), ("eval_return", "f8", ret),
                                   ("eval_score", "f8", [y + score_offset for y in ret]),
                                   ("wall_seconds", "f8", [0.5 * i for i in range(len(ret))])):
            d.createVariable(name, kind, ("update",))[:] = np.array(values)
        d.setncattr("rl_steps", np.int64(rl_steps))
        d.setncattr("env", "flappy-bird")
        d.setncattr("ilrl_file_kind", "trajectory")


nan = math.nan
root = os.path.join(scratch, "synthetic")
shutil.rmtree(root, ignore_errors=True)
# scratch: 4 seeds, start -1; RL evals at 100..400 steps
scratch_runs = {1: [-1.0, -1.0, 0.0, 1.0, 2.0], 2: [-1.0, -0.5, -0.5, 0.5, 1.5],
                3: [-1.0, -1.0, -1.0, -1.0, -1.0], 4: [-1.0, 0.0, 1.0, 1.0, 1.0]}
for seed, ys in scratch_runs.items():
    trajectory(os.path.join(root, "flappy-bird", "scratch", "seed-%d.nc" % seed), [],
               [(0, ys[0])] + list(zip((100, 200, 300, 400), ys[1:])), 400)
# il-strong: 5 seeds, IL rows (some unevaluated), start = last IL eval
il_runs = {1: ([-1.0, nan, 0.5], [0.0, 0.5, 1.0, 1.5]), 2: ([-1.0, nan, 1.0], [-0.5, 0.5, 1.5, 2.0]),
           3: ([-1.0, nan, 0.0], [0.0, 0.0, 0.0, 0.0]), 4: ([-1.0, nan, 2.0], [1.0, 2.0, 3.0, 3.0]),
           5: ([-1.0, nan, -1.0], [-1.0, -1.0, -1.0, -1.0])}
for seed, (il, ys) in il_runs.items():
    trajectory(os.path.join(root, "flappy-bird", "il-strong", "seed-%d.nc" % seed), il,
               list(zip((100, 200, 300, 400), ys)), 400)
out = os.path.join(scratch, "synthetic-out")
summary = hs.analyse(root, out, resamples=2000, plot=True)


def hand(start, ys, xs=(100, 200, 300, 400)):
    pts_x = (0,) + tuple(xs)
    pts_y = (start,) + tuple(ys)
    auc = sum((pts_y[i] + pts_y[i + 1]) / 2 * (pts_x[i + 1] - pts_x[i]) for i in range(4)) / 400
    steps = []
    for t in (0.0, 1.0):
        hit = [x for x, y in zip(pts_x, pts_y) if y >= t]
        steps.append(hit[0] if hit else math.inf)
    return dict(start=start, auc=auc, final=sum(ys[-3:]) / 3, dip=min(ys[:3]) - start,
                gain=sum(ys[-3:]) / 3 - start, steps0=steps[0], steps1=steps[1])


per = {("scratch", s): hand(ys[0], ys[1:]) for s, ys in scratch_runs.items()}
per.update({("il-strong", s): hand(il[-1], ys) for s, (il, ys) in il_runs.items()})
with open(os.path.join(out, "per-seed.csv")) as f:
    rows = list(csv.DictReader(f))
check(len(rows) == 9, "per-seed.csv: 9 runs")
ok = True
for r in rows:
    h = per[(r["condition"], int(r["seed"]))]
    for k, v in h.items():
        got = float(r["return:" + k])
        if not (got == v or (math.isinf(v) and math.isinf(got)) or close(got, v, 1e-5)):
            ok = False
            print("   %s seed %s %s: got %r, hand %r" % (r["condition"], r["seed"], k, got, v))
    if not close(float(r["score:start"]), h["start"] + 1.0, 1e-5):
        ok = False
check(ok, "per-run start, steps to 0 and 1, AUC, final, dip, gain equal the hand computation")
for cond, n in (("scratch", 4), ("il-strong", 5)):
    for k in ("start", "auc", "final", "dip", "gain"):
        values = [per[(cond, s)][k] for s in range(1, n + 1)]
        srt = sorted(values)
        cut = n // 4
        want = sum(srt[cut:n - cut]) / (n - 2 * cut)
        got, lo, hi = summary["flappy-bird"][cond]["return:" + k]
        if not (close(got, want, 1e-9) and lo <= got <= hi and min(values) <= lo and hi <= max(values)):
            ok = False
            print("   %s %s: IQM %r (hand %r), CI [%r, %r]" % (cond, k, got, want, lo, hi))
check(ok, "table IQMs equal the hand IQMs (middle 2 of 4, middle 3 of 5) inside their CIs")
check(summary["flappy-bird"]["il-strong"]["il_samples"][0] == 100.0 and
      summary["flappy-bird"]["il-strong"]["il_epochs"][0] == 2.0 and
      summary["flappy-bird"]["scratch"]["il_samples"][0] == 0.0, "IL cost: 100 demo samples, 2 epochs; scratch 0")
d = summary["flappy-bird"]["diff"][("il-strong", "scratch", "return:start")]
check(close(d[0], 0.5 - (-1.0)) and d[1] <= d[0] <= d[2], "head start over scratch: IQM 0.5 - (-1) = 1.5")
# steps to 1: scratch seeds reach it at 300, 400, never, 200 -> IQM of {200, 300, 400, inf} = 350
check(summary["flappy-bird"]["scratch"]["return:steps1"][0] == 350.0, "steps to return 1: IQM of 200, 300, 400, never = 350")
# the IQM curve at x = 200 (a grid point): scratch values 0, -0.5, -1, 1 -> middle two -0.5, 0
with open(os.path.join(out, "curves-flappy-bird.csv")) as f:
    at = {(r["condition"], r["metric"]): r for r in csv.DictReader(f) if r["rl_steps"] == "200"}
check(close(float(at[("scratch", "return")]["iqm"]), -0.25, 1e-6), "IQM curve at 200 steps: mean(-0.5, 0) = -0.25")
# x = 52 lies between evaluations 0 and 100: seed 1 -1 + 0.52*0 ... linear interpolation
with open(os.path.join(out, "curves-flappy-bird.csv")) as f:
    at = {(r["condition"], r["metric"]): r for r in csv.DictReader(f) if r["rl_steps"] == "52"}
want = sorted([-1.0, -1.0 + 0.52 * 0.5, -1.0, -1.0 + 0.52 * 1.0])
check(close(float(at[("scratch", "return")]["iqm"]), (want[1] + want[2]) / 2, 1e-5),
      "IQM curve between evaluations: linear interpolation per run, then the IQM")
for f in ("tables.md", "table-flappy-bird.csv", "headstart-flappy-bird.png"):
    check(os.path.getsize(os.path.join(out, f)) > 0, "wrote " + f)

# a budget mismatch is refused
trajectory(os.path.join(root, "flappy-bird", "il-poor", "seed-1.nc"), [0.0], [(100, 1.0)], 999)
try:
    hs.analyse(root, out, resamples=10, plot=False)
    check(False, "runs with different RL budgets are refused")
except ValueError as e:
    check("different RL budgets" in str(e), "runs with different RL budgets are refused: %s" % e)

print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
