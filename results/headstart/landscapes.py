#!/usr/bin/python3
"""landscapes.py -- summary of the landscapes at the trained points of the
head-start experiment (jobs/headstart-landscapes.sh).

    landscapes.py DIR

DIR holds compare.csv (ilrl-compare --csv of every landscape) and ENV/*.nc.
Writes DIR/landscapes.csv and DIR/landscapes.md: per landscape the
environment, condition, plane (theta0 = the default plane around theta0;
center-default, center-gradients = around theta_IL, or the final theta for
RL from scratch; trajectory = the PCA plane of the whole path), ilrl-compare's
Pearson r(L_IL, L_RL), the gradient cosine at the centre, and Pearson r of
-L_IL and of -L_RL with the return surface (do the offline losses point
toward the return on this plane?), the discounted return at the centre,
and, where a path is drawn, the explained variance of the trajectory plane,
the median relative distance of a checkpoint from the plane (path_residual)
and how far IL and then RL moved theta (Euclidean norms)."""
import csv
import math
import os
import sys

import netCDF4
import numpy as np


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def describe(name):
    """(condition, plane) from a file name of headstart-landscapes.sh."""
    stem = name[:-3]
    if stem.startswith("theta0-"):
        return "demo " + stem[len("theta0-"):], "theta0"
    for plane in ("center-default", "center-gradients", "trajectory"):
        if stem.endswith("-" + plane):
            return stem[:-len(plane) - 1], plane
    return stem, "?"


def centre_value(d, name):
    """The grid variable NAME at the plane's centre (x = y = 0), if on the grid."""
    if name not in d.variables:
        return math.nan
    x = np.asarray(d.variables["x"][:]) if "x" in d.variables else None
    y = np.asarray(d.variables["y"][:]) if "y" in d.variables else None
    if x is None or y is None:
        return math.nan
    i = np.flatnonzero(np.isclose(x, 0.0, atol=1e-12))
    j = np.flatnonzero(np.isclose(y, 0.0, atol=1e-12))
    if not i.size or not j.size:
        return math.nan
    return float(np.ma.filled(d.variables[name][j[0], i[0]], np.nan))


def distances(trajectory):
    """|theta_IL - theta0| and |theta_end - theta_IL| of a trajectory file
    (theta_IL: its last IL checkpoint; theta0 for RL from scratch)."""
    if not trajectory or not os.path.exists(trajectory):
        return math.nan, math.nan
    with netCDF4.Dataset(trajectory) as t:
        theta = np.asarray(t["checkpoint_theta"][:], dtype=float)
        phase = np.asarray(t["checkpoint_phase"][:])
        il_epochs = int(t.getncattr("il_epochs"))
    il = np.flatnonzero(phase == 0)
    k = il[-1] if il_epochs > 0 and il.size else 0
    return float(np.linalg.norm(theta[k] - theta[0])), float(np.linalg.norm(theta[-1] - theta[k]))


def main(directory):
    rows = []
    with open(os.path.join(directory, "compare.csv"), newline="") as f:
        for c in csv.DictReader(f):
            path = c["file"]
            env = os.path.basename(os.path.dirname(path))
            cond, plane = describe(os.path.basename(path))
            r = dict(env=env, condition=cond, plane=plane, file=os.path.relpath(path, directory),
                     pearson=number(c["pearson"]), gradient_cosine=number(c["gradient_cosine"]),
                     il_return_r=number(c.get("il_return_pearson")),
                     rl_return_r=number(c.get("rl_return_pearson")), verdict=c["verdict"])
            with netCDF4.Dataset(path) as d:
                r["return_at_centre"] = centre_value(d, "return_mean")
                if math.isnan(r["return_at_centre"]) and "path_return_mean" in d.variables:
                    # the trajectory plane's window follows the path, so its
                    # centre (the final theta, the last checkpoint) may fall
                    # between grid points: the path holds its own return
                    r["return_at_centre"] = float(np.ma.filled(d.variables["path_return_mean"][-1], np.nan))
                ev = getattr(d, "explained_variance", None)
                r["explained_variance"] = (float(np.sum(ev)) if ev is not None else math.nan)
                r["median_path_residual"] = (float(np.nanmedian(np.ma.filled(d.variables["path_residual"][:], np.nan)))
                                             if "path_residual" in d.variables else math.nan)
                r["dist_il"], r["dist_rl"] = distances(getattr(d, "path_file", None)) \
                    if plane == "trajectory" else (math.nan, math.nan)
            rows.append(r)
    keys = ["env", "condition", "plane", "pearson", "gradient_cosine", "il_return_r", "rl_return_r",
            "verdict", "return_at_centre", "explained_variance", "median_path_residual",
            "dist_il", "dist_rl", "file"]
    with open(os.path.join(directory, "landscapes.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(keys)
        for r in rows:
            w.writerow(["" if isinstance(r[k], float) and math.isnan(r[k])
                        else ("%.4g" % r[k] if isinstance(r[k], float) else r[k]) for k in keys])

    def f(v, spec="%+.2f"):
        return "n/a" if math.isnan(v) else spec % v
    md = ["<!-- written by results/headstart/landscapes.py from ilrl-compare --csv -->", "",
          "| env | condition | plane | r(IL, RL) | grad cos | r(-IL, return) | r(-RL, return) | "
          "return at centre | explained var. | median path residual | ‖θ_IL−θ0‖ | ‖θ_end−θ_IL‖ |",
          "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        md.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["env"], r["condition"], r["plane"], f(r["pearson"]), f(r["gradient_cosine"]),
            f(r["il_return_r"]), f(r["rl_return_r"]), f(r["return_at_centre"], "%.2f"),
            f(r["explained_variance"], "%.2f"), f(r["median_path_residual"], "%.2f"),
            f(r["dist_il"], "%.1f"), f(r["dist_rl"], "%.1f")))
    with open(os.path.join(directory, "landscapes.md"), "w") as out:
        out.write("\n".join(md) + "\n")
    for env in sorted({r["env"] for r in rows}):
        paths = [os.path.join(directory, r["file"]) for r in rows
                 if r["env"] == env and r["plane"] == "trajectory"]
        if paths:
            overview(env, paths, os.path.join(directory, "paths-%s.png" % env))
    return 0


def overview(env, paths, out):
    """One row per condition: L_IL, L_RL and the return surface on the
    condition's trajectory plane, with its path (IL checkpoints blue, RL
    orange; circle: theta0, square: theta_IL, star: the end)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = (("il_loss", "L_IL"), ("rl_loss", "L_RL"), ("return_mean", "return (discounted)"))
    fig, axes = plt.subplots(len(paths), 3, figsize=(12, 3.1 * len(paths)), squeeze=False,
                             constrained_layout=True)
    for row, path in enumerate(paths):
        cond = describe(os.path.basename(path))[0]
        with netCDF4.Dataset(path) as d:
            x = np.asarray(d["x"][:])
            y = np.asarray(d["y"][:])
            px = np.asarray(d["path_x"][:])
            py = np.asarray(d["path_y"][:])
            phase = np.asarray(d["path_phase"][:])
            resid = np.ma.filled(d["path_residual"][:], np.nan)
            ev = np.asarray(getattr(d, "explained_variance", [np.nan, np.nan]), dtype=float)
            for c, (name, label) in enumerate(cols):
                ax = axes[row, c]
                if name not in d.variables:
                    ax.set_axis_off()
                    continue
                z = np.ma.filled(d[name][:].astype(float), np.nan)
                mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap="viridis")
                fig.colorbar(mesh, ax=ax, shrink=0.85)
                ax.plot(px, py, color="white", lw=0.8, alpha=0.8)
                for ph, colour in ((0, "tab:blue"), (1, "tab:orange")):
                    keep = phase == ph
                    ax.scatter(px[keep], py[keep], s=9, color=colour, edgecolors="none", zorder=3)
                il_end = np.flatnonzero(phase == 0)
                ax.plot(px[0], py[0], "o", ms=7, mfc="none", mec="red", mew=1.5)
                if il_end.size and 0 < il_end[-1] < px.size - 1:   # an IL phase: theta_IL
                    ax.plot(px[il_end[-1]], py[il_end[-1]], "s", ms=7, mfc="none", mec="red", mew=1.5)
                ax.plot(px[-1], py[-1], "*", ms=10, color="red")
                ax.set_title("%s: %s" % (cond, label), fontsize="medium")
                if c == 0:
                    ax.set_ylabel("PCA direction 2 (%.0f%%)" % (100 * ev[1]))
                if row == len(paths) - 1:
                    ax.set_xlabel("PCA direction 1 (%.0f%%)" % (100 * ev[0]))
            axes[row, 2].text(0.02, 0.02, "median off-plane distance %.0f%%" % (100 * np.nanmedian(resid)),
                              transform=axes[row, 2].transAxes, fontsize="x-small", color="white")
    fig.suptitle("%s, seed 1: training paths on their trajectory planes (blue IL, orange RL; "
                 "o theta0, square theta_IL, * end)" % env, fontsize="medium")
    fig.savefig(out, dpi=70)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: landscapes.py DIR", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
