#!/usr/bin/python3
"""headstart.py -- the analysis of the head-start experiment (make headstart,
jobs/headstart-gather.sh): greedy evaluation return and score against
environment steps, aggregated over training seeds as the interquartile mean
(IQM) with 95 % stratified-bootstrap confidence intervals, as rliable does
(Agarwal et al., 2021, "Deep RL at the edge of the statistical precipice").

    headstart.py DIR [--out OUTDIR] [--resamples R] [--rng-seed S] [--grid G]

DIR holds DIR/ENV/CONDITION/seed-SEED.nc, the trajectory files of
jobs/headstart-task.sh (docs/formats.md).  Writes to OUTDIR (default DIR):
  per-seed.csv       every run's metrics (one row per env, condition, seed)
  table-ENV.csv      per condition: IQM and 95 % CI of every metric
  tables.md          the same tables, and the differences, in Markdown
  curves-ENV.csv     IQM curves and their bands on the common step grid
  headstart-ENV.png  the figure: IL phase, then return (and score) vs RL steps

Decisions (written down here, quoted by results/headstart/README.md):
- Step axis.  x = environment steps of the RL phase (env_steps of the
  trajectory).  IL consumes demonstration samples, not environment steps,
  so every IL row sits at x = 0 and an IL-then-RL curve starts at x = 0 with
  the greedy evaluation of the network IL produced; RL from scratch starts
  at x = 0 with theta0's.  The IL cost is reported separately (demo samples
  trained on, epochs run, wall seconds).  Each run's evaluations are
  linearly interpolated onto G equally spaced points of [0, RL budget]
  (runs evaluate at slightly different steps because episodes differ in
  length); the IQM across seeds is taken point by point.
- IQM: sort the n values, drop floor(n/4) from each end, average the rest
  (scipy.stats.trim_mean(x, 0.25), what rliable's IQM computes).  With
  n = 10 seeds it is the mean of the middle 6.
- Confidence intervals: stratified bootstrap, R = 5000 resamples by default
  (at least 2000), one numpy Generator seeded with S = 17: seeds are drawn
  with replacement within each condition (the stratum), keeping its count;
  a curve resamples whole runs (the same seeds at every x).  The interval
  is the 2.5th and 97.5th percentile of the R statistics, taken without
  interpolation (the lower end rounds down, the upper end up, so a value
  that is never reached, +inf, stays +inf instead of becoming NaN).
  Differences between conditions (e.g. IL on the poor demo minus scratch)
  resample both conditions independently, each within itself.
- Metrics per run (each from the greedy evaluations: mean over 10 fixed
  episodes of the undiscounted return, and of the score):
    start    the evaluation at x = 0 (the head start: the IL policy's value;
             for scratch theta0's)
    steps>=T RL steps of the first evaluation at or above threshold T
             (0 when the start is already there; +inf when never: shown as
             "not reached", the IQM is finite only while fewer than a
             quarter of the seeds miss it); thresholds on the return:
             Flappy Bird 0 and 1 (on average one, two pipes per crash),
             CartPole 195 and 475 (CartPole-v0's and v1's "solved")
    auc      area under the interpolated curve over [0, budget] divided by
             the budget: the mean level over the RL budget
    final    mean of the last 3 evaluations
    dip      min of the first 3 RL evaluations after x = 0, minus start
             (negative: RL first made the policy worse -- forgetting;
             scratch gives the noise floor of this statistic)
    gain     final - start (does RL keep, improve or forget the start?)
"""
import argparse
import csv
import glob
import math
import os
import re
import sys

import numpy as np

RESAMPLES = 5000
RNG_SEED = 17
GRID = 101
FIRST_N = 3   # dip: the first N RL evaluations
LAST_N = 3    # final: the last N evaluations
THRESHOLDS = {"flappy-bird": (0.0, 1.0), "cartpole": (195.0, 475.0)}
# CartPole episodes have no score (docs/cartpole.md): its eval_score is 0.
METRICS = {"flappy-bird": ("return", "score"), "cartpole": ("return",)}
ENV_ORDER = ("flappy-bird", "cartpole")
CONDITION_ORDER = ("scratch", "il-strong", "il-poor", "il-noisy", "il-strong-bc")
CONDITION_LABEL = {
    "scratch": "RL from scratch",
    "il-strong": "IL strong, then RL",
    "il-poor": "IL poor, then RL",
    "il-noisy": "IL noisy (sign flip), then RL",
    "il-strong-bc": "IL strong, then RL + retention",
}
COLOURS = {"scratch": "black", "il-strong": "tab:blue", "il-poor": "tab:red",
           "il-noisy": "tab:orange", "il-strong-bc": "tab:green"}


# ---- statistics ---------------------------------------------------------------

def iqm(values, axis=-1):
    """Interquartile mean along AXIS: drop floor(n/4) values from each end of
    the sorted values and average the rest (scipy's trim_mean(x, 0.25))."""
    v = np.sort(np.asarray(values, dtype=float), axis=axis)
    n = v.shape[axis]
    cut = n // 4
    kept = np.take(v, np.arange(cut, n - cut), axis=axis)
    return np.mean(kept, axis=axis)


def stratified_resample(strata, resamples, rng):
    """For each stratum (an array whose first axis is seeds), R resamples of
    its seeds with replacement, keeping its count: a list of arrays of
    shape (R, n_k, ...), and the index arrays (R, n_k) that made them."""
    out, indices = [], []
    for values in strata:
        values = np.asarray(values, dtype=float)
        n = values.shape[0]
        if n == 0:
            raise ValueError("empty stratum")
        idx = rng.integers(0, n, size=(resamples, n))
        out.append(values[idx])
        indices.append(idx)
    return out, indices


def percentile_interval(stats, level=0.95):
    """(lo, hi) of bootstrap statistics (first axis: resamples), without
    interpolation: lo rounds down, hi rounds up (so +inf stays +inf)."""
    tail = 100.0 * (1.0 - level) / 2.0
    lo = np.percentile(stats, tail, axis=0, method="lower")
    hi = np.percentile(stats, 100.0 - tail, axis=0, method="higher")
    return lo, hi


def iqm_ci(values, resamples, rng):
    """IQM of VALUES (first axis: seeds) and its 95 % bootstrap interval."""
    values = np.asarray(values, dtype=float)
    (boot,), _ = stratified_resample([values], resamples, rng)
    stats = iqm(boot, axis=1)
    lo, hi = percentile_interval(stats)
    return iqm(values, axis=0), lo, hi


def iqm_difference_ci(a, b, resamples, rng):
    """IQM(a) - IQM(b) and its 95 % interval, a and b resampled each within
    itself (two strata)."""
    (ra, rb), _ = stratified_resample([a, b], resamples, rng)
    stats = iqm(ra, axis=1) - iqm(rb, axis=1)
    lo, hi = percentile_interval(stats)
    return iqm(a, axis=0) - iqm(b, axis=0), lo, hi


# ---- one run --------------------------------------------------------------------

def read_run(path):
    """The columns of one trajectory file that the analysis needs."""
    import netCDF4
    with netCDF4.Dataset(path) as d:
        get = lambda name: np.ma.filled(d.variables[name][:].astype(float), np.nan)
        run = {
            "phase": get("phase"),
            "env_steps": get("env_steps"),
            "samples": get("samples"),
            "return": get("eval_return"),
            "score": get("eval_score"),
            "wall": get("wall_seconds"),
            "rl_steps": int(d.getncattr("rl_steps")),
            "env": str(d.getncattr("env")),
        }
    return run


def evaluations(run, metric):
    """(x, y): the evaluation at the switch to RL (x = 0: the last evaluated
    row before any environment step), then every evaluated RL row."""
    y = run[metric]
    x = run["env_steps"]
    evaluated = ~np.isnan(y)
    at_zero = np.flatnonzero(evaluated & (x == 0))
    if at_zero.size == 0:
        raise ValueError("no evaluation before the first environment step")
    later = np.flatnonzero(evaluated & (x > 0))
    rows = np.concatenate(([at_zero[-1]], later))
    return x[rows], y[rows]


def run_metrics(run, metric, thresholds, grid):
    """Per-run metrics (see the module's docstring) and its curve on GRID."""
    x, y = evaluations(run, metric)
    budget = float(run["rl_steps"])
    curve = np.interp(grid, x, y)
    m = {"start": y[0]}
    if metric == "return":
        for k, t in enumerate(thresholds):
            hit = np.flatnonzero(y >= t)
            m["steps%d" % k] = x[hit[0]] if hit.size else math.inf
    m["auc"] = np.trapz(curve, grid) / budget if budget > 0 else y[0]
    m["final"] = float(np.mean(y[-LAST_N:]))
    rl = y[1:1 + FIRST_N]
    m["dip"] = float(np.min(rl) - y[0]) if rl.size else math.nan
    m["gain"] = m["final"] - y[0]
    return m, curve


def il_cost(run):
    """Demo samples trained on, IL epochs run and wall seconds, up to the
    switch to RL (all 0 for RL from scratch)."""
    il_rows = np.flatnonzero(run["phase"] == 0)
    if il_rows.size == 0:
        return {"il_samples": 0.0, "il_epochs": 0.0, "il_seconds": 0.0}
    last = il_rows[-1]
    return {"il_samples": run["samples"][last], "il_epochs": float(il_rows.size - 1),
            "il_seconds": run["wall"][last]}


def il_curve(run, metric, max_epochs):
    """Evaluations of the IL phase against the epoch (held after it stopped),
    on epochs 0..max_epochs; None for RL from scratch."""
    il_rows = np.flatnonzero(run["phase"] == 0)
    if il_rows.size == 0:
        return None
    y = run[metric][il_rows]
    epochs = np.arange(il_rows.size, dtype=float)
    keep = ~np.isnan(y)
    return np.interp(np.arange(max_epochs + 1, dtype=float), epochs[keep], y[keep])


# ---- the experiment --------------------------------------------------------------

def seed_of(path):
    m = re.search(r"seed-(\d+)\.nc$", path)
    return int(m.group(1)) if m else None


def load(directory):
    """{env: {condition: [(seed, run), ...]}} for every trajectory in DIR."""
    data = {}
    for env in sorted(os.listdir(directory)):
        env_dir = os.path.join(directory, env)
        if not os.path.isdir(env_dir):
            continue
        for cond in sorted(os.listdir(env_dir)):
            files = [f for f in glob.glob(os.path.join(env_dir, cond, "seed-*.nc"))
                     if seed_of(f) is not None]
            if not files:
                continue
            runs = sorted(((seed_of(f), read_run(f)) for f in files), key=lambda t: t[0])
            data.setdefault(env, {})[cond] = runs
    return data


def ordered(keys, order):
    return [k for k in order if k in keys] + sorted(k for k in keys if k not in order)


def fmt(value, lo, hi, digits):
    def one(v):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return "n/a"
        if math.isinf(v):
            return "not reached" if v > 0 else "-inf"
        return ("%." + str(digits) + "f") % v
    if math.isinf(value) and value > 0:
        return "not reached [%s, %s]" % (one(lo), one(hi))
    return "%s [%s, %s]" % (one(value), one(lo), one(hi))


def steps_fmt(value, lo, hi):
    def one(v):
        if math.isinf(v):
            return "never"
        return "%.0fk" % (v / 1000.0) if v >= 1000 else "%.0f" % v
    if math.isinf(value):
        return "not reached [%s, %s]" % (one(lo), one(hi))
    return "%s [%s, %s]" % (one(value), one(lo), one(hi))


def analyse(directory, outdir, resamples=RESAMPLES, rng_seed=RNG_SEED, grid_points=GRID,
            thresholds=None, plot=True):
    """Everything the module's docstring lists; returns the summary
    {env: {condition: {metric_key: (iqm, lo, hi)}}} (metric_key e.g.
    "return:start")."""
    if resamples < 1:
        raise ValueError("resamples must be >= 1")
    thresholds = dict(THRESHOLDS, **(thresholds or {}))
    rng = np.random.default_rng(rng_seed)
    data = load(directory)
    if not data:
        raise ValueError("%s: no trajectories DIR/ENV/CONDITION/seed-N.nc" % directory)
    os.makedirs(outdir, exist_ok=True)
    summary, per_seed_rows, md = {}, [], []
    md.append("<!-- written by results/headstart/headstart.py; IQM [95 %% CI] over seeds, "
              "%d stratified-bootstrap resamples, RNG seed %d -->" % (resamples, rng_seed))
    for env in ordered(data, ENV_ORDER):
        conds = ordered(data[env], CONDITION_ORDER)
        metrics = METRICS.get(env, ("return", "score"))
        thr = thresholds.get(env, (0.0, 1.0))
        budgets = {run["rl_steps"] for c in conds for _, run in data[env][c]}
        if len(budgets) != 1:
            raise ValueError("%s: runs with different RL budgets %s" % (env, sorted(budgets)))
        budget = budgets.pop()
        grid = np.linspace(0.0, float(budget), grid_points)
        summary[env] = {}
        curves, il_curves = {}, {}
        per_run = {}
        for cond in conds:
            runs = data[env][cond]
            rows = {}
            for seed, run in runs:
                row = dict(env=env, condition=cond, seed=seed, rl_steps=run["rl_steps"])
                row.update(il_cost(run))
                for metric in metrics:
                    m, curve = run_metrics(run, metric, thr, grid)
                    for k, v in m.items():
                        row["%s:%s" % (metric, k)] = v
                    curves.setdefault((cond, metric), []).append(curve)
                rows[seed] = row
                per_seed_rows.append(row)
            per_run[cond] = rows
            max_epochs = int(max(il_cost(r)["il_epochs"] for _, r in runs))
            for metric in metrics:
                c = [il_curve(r, metric, max_epochs) for _, r in runs]
                if c[0] is not None:
                    il_curves[(cond, metric)] = np.array(c)
            # the table: IQM and CI of every per-run number
            keys = [k for k in rows[runs[0][0]] if ":" in k or k.startswith("il_")]
            summary[env][cond] = {"n": len(runs)}
            for k in keys:
                values = np.array([rows[s][k] for s, _ in runs], dtype=float)
                if np.all(np.isnan(values)):
                    summary[env][cond][k] = (math.nan, math.nan, math.nan)
                    continue
                v, lo, hi = iqm_ci(values, resamples, rng)
                summary[env][cond][k] = (float(v), float(lo), float(hi))
        # curves: IQM and band point by point, whole runs resampled
        curve_rows = []
        bands = {}
        for (cond, metric), c in curves.items():
            c = np.array(c)
            (boot,), _ = stratified_resample([c], resamples, rng)
            lo, hi = percentile_interval(iqm(boot, axis=1))
            mid = iqm(c, axis=0)
            bands[(cond, metric)] = (mid, lo, hi)
            for i, x in enumerate(grid):
                curve_rows.append((cond, metric, "%.0f" % x, "%.6g" % mid[i], "%.6g" % lo[i], "%.6g" % hi[i]))
        with open(os.path.join(outdir, "curves-%s.csv" % env), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("condition", "metric", "rl_steps", "iqm", "ci_low", "ci_high"))
            w.writerows(sorted(curve_rows, key=lambda r: (conds.index(r[0]), r[1], float(r[2]))))
        # differences: every IL condition against scratch; retention against none
        diffs = []
        pairs = [(c, "scratch") for c in conds if c != "scratch" and "scratch" in conds]
        if "il-strong-bc" in conds and "il-strong" in conds:
            pairs.append(("il-strong-bc", "il-strong"))
        for a, b in pairs:
            for k in ["%s:%s" % (m, s) for m in metrics for s in ("start", "auc", "final", "dip", "gain")]:
                va = np.array([per_run[a][s][k] for s in sorted(per_run[a])], dtype=float)
                vb = np.array([per_run[b][s][k] for s in sorted(per_run[b])], dtype=float)
                d, lo, hi = iqm_difference_ci(va, vb, resamples, rng)
                diffs.append((a, b, k, float(d), float(lo), float(hi)))
                summary[env].setdefault("diff", {})[(a, b, k)] = (float(d), float(lo), float(hi))
        write_table(env, conds, metrics, thr, budget, summary[env], diffs, outdir, md)
        if plot:
            figure(env, conds, metrics, thr, budget, grid, bands, il_curves,
                   os.path.join(outdir, "headstart-%s.png" % env), summary[env])
    write_per_seed(per_seed_rows, os.path.join(outdir, "per-seed.csv"))
    with open(os.path.join(outdir, "tables.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    return summary


def write_per_seed(rows, path):
    keys = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(keys)
        for r in rows:
            w.writerow(["" if k not in r else ("%.6g" % r[k] if isinstance(r[k], float) else r[k])
                        for k in keys])


def write_table(env, conds, metrics, thr, budget, s, diffs, outdir, md):
    digits = 1 if env == "cartpole" else 2
    cols = ["condition", "seeds", "il_samples", "il_epochs", "il_seconds"]
    for metric in metrics:
        cols += ["%s:%s" % (metric, k) for k in ("start", "steps0", "steps1", "auc", "final", "dip", "gain")
                 if metric == "return" or not k.startswith("steps")]
    with open(os.path.join(outdir, "table-%s.csv" % env), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        header = ["condition", "seeds"]
        for c in cols[2:]:
            header += [c, c + ":ci_low", c + ":ci_high"]
        w.writerow(header)
        for cond in conds:
            row = [cond, s[cond]["n"]]
            for c in cols[2:]:
                row += ["%.6g" % v for v in s[cond][c]]
            w.writerow(row)
    md.append("")
    md.append("### %s: RL budget %d environment steps, thresholds on the return: %s"
              % (env, budget, " and ".join("%g" % t for t in thr)))
    md.append("")
    md.append("| condition | seeds | IL: demo samples | IL: epochs | IL: seconds |")
    md.append("|---|---|---|---|---|")
    for cond in conds:
        c = s[cond]
        md.append("| %s | %d | %s | %s | %s |" % (
            cond, c["n"], fmt(*c["il_samples"], 0), fmt(*c["il_epochs"], 0), fmt(*c["il_seconds"], 1)))
    for metric in metrics:
        md.append("")
        head = ["condition", "start (head start)"]
        keys = ["start"]
        if metric == "return":
            head += ["steps to %g" % thr[0], "steps to %g" % thr[1]]
            keys += ["steps0", "steps1"]
        head += ["AUC (mean over budget)", "final (last 3 evals)", "dip (first 3 RL evals)", "gain (final - start)"]
        keys += ["auc", "final", "dip", "gain"]
        md.append("Greedy evaluation **%s**, IQM [95 %% CI]:" % metric)
        md.append("")
        md.append("| " + " | ".join(head) + " |")
        md.append("|" + "---|" * len(head))
        for cond in conds:
            cells = [cond]
            for k in keys:
                v = s[cond]["%s:%s" % (metric, k)]
                cells.append(steps_fmt(*v) if k.startswith("steps") else fmt(*v, digits))
            md.append("| " + " | ".join(cells) + " |")
    if diffs:
        md.append("")
        md.append("Differences of IQMs [95 % CI] (each condition resampled within itself):")
        md.append("")
        md.append("| comparison | metric | start | AUC | final | dip | gain |")
        md.append("|---|---|---|---|---|---|---|")
        by = {}
        for a, b, k, d, lo, hi in diffs:
            metric, stat = k.split(":")
            by.setdefault((a, b, metric), {})[stat] = fmt(d, lo, hi, digits)
        for (a, b, metric), v in by.items():
            md.append("| %s - %s | %s | %s | %s | %s | %s | %s |" % (
                a, b, metric, v["start"], v["auc"], v["final"], v["dip"], v["gain"]))


def figure(env, conds, metrics, thr, budget, grid, bands, il_curves, path, s):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(metrics), 2, figsize=(13, 4.2 * len(metrics)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 3]}, constrained_layout=True)
    for row, metric in enumerate(metrics):
        il_ax, ax = axes[row]
        for cond in conds:
            colour = COLOURS.get(cond, None)
            label = "%s (n=%d)" % (CONDITION_LABEL.get(cond, cond), s[cond]["n"])
            mid, lo, hi = bands[(cond, metric)]
            ax.plot(grid, mid, color=colour, lw=1.8, label=label,
                    ls="--" if cond == "il-strong-bc" else "-")
            ax.fill_between(grid, lo, hi, color=colour, alpha=0.15, lw=0)
            if (cond, metric) in il_curves:
                c = il_curves[(cond, metric)]
                epochs = np.arange(c.shape[1])
                (boot,), _ = stratified_resample([c], 2000, np.random.default_rng(RNG_SEED))
                blo, bhi = percentile_interval(iqm(boot, axis=1))
                il_ax.plot(epochs, iqm(c, axis=0), color=colour, lw=1.5,
                           ls="--" if cond == "il-strong-bc" else "-")
                il_ax.fill_between(epochs, blo, bhi, color=colour, alpha=0.15, lw=0)
        if metric == "return":
            for t in thr:
                ax.axhline(t, color="grey", lw=0.8, ls=":")
        ax.set_xlim(0, budget)
        ax.set_xlabel("environment steps of the RL phase (IL sits at 0)")
        ax.set_ylabel("greedy evaluation %s (IQM over seeds)" % metric)
        ax.set_title("%s: %s during RL, IQM and 95%% stratified-bootstrap CI" % (env, metric))
        if row == 0:   # the IL panel's upper left stays empty: curves rise from theta0
            handles, labels = ax.get_legend_handles_labels()
            il_ax.legend(handles, labels, fontsize="x-small", loc="upper left")
        il_ax.set_xlabel("IL epoch (demo samples, no environment steps)")
        il_ax.set_ylabel("greedy evaluation %s" % metric)
        il_ax.set_title("IL phase (IQM, held after early stop)", fontsize="medium")
        il_ax.sharey(ax)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv):
    p = argparse.ArgumentParser(description="Analyse the head-start experiment (make headstart).")
    p.add_argument("directory")
    p.add_argument("--out", default=None, help="output directory (default: DIRECTORY)")
    p.add_argument("--resamples", type=int, default=RESAMPLES)
    p.add_argument("--rng-seed", type=int, default=RNG_SEED)
    p.add_argument("--grid", type=int, default=GRID)
    p.add_argument("--no-plot", action="store_true")
    a = p.parse_args(argv)
    if a.resamples < 2000:
        print("headstart.py: note: %d resamples (rliable practice: >= 2000)" % a.resamples, file=sys.stderr)
    try:
        analyse(a.directory, a.out or a.directory, a.resamples, a.rng_seed, a.grid, plot=not a.no_plot)
    except (OSError, ValueError, KeyError) as e:
        print("headstart.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
