#!/bin/bash
# sweep-gather.sh -- collect the demonstration-quality sweep (sweep.sbatch)
# into one table and one figure.  A batch script (queued by sweep-submit.sh
# with --dependency=afterok on the array) that also runs by hand:
#   bash jobs/sweep-gather.sh        (same ILRL_OUTDIR and ILRL_SWEEP_EPS)
#
# Writes to $ILRL_OUTDIR (default ilrl-sweep):
#   compare.csv  ilrl-compare --csv of every landscape
#   sweep.csv    label,pilot,eps,episodes,mean_score,mean_return,pearson,spearman
#                (eps empty for the poor pilot; mean_score from the demo's
#                `score` variable, empty when the file has none; mean_return
#                = mean over steps of the discounted reward-to-go, gamma 0.99)
#   sweep.png    left: Pearson r(IL, RL) and mean score against EPS (symlog
#                axis, linear below 0.01 so EPS = 0 shows), the poor session
#                as a dashed line; right: r against the demo's mean score,
#                coloured by its mean return-to-go
# Exit status 1 when a landscape is missing or a tool fails.
#
#SBATCH --job-name=ilrl-sweep-gather
#SBATCH --output=ilrl-%x-%j.out
#SBATCH --ntasks=1
#SBATCH --time=00:15:00

jobs_dir=${ILRL_JOBS:-}
if [ -z "$jobs_dir" ] && [ -n "${SLURM_JOB_ID:-}" ]; then
    script=$(scontrol show job -o "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/.* Command=\([^ ]*\).*/\1/p' | head -n 1)
    case $script in /*) ;; ?*) script=$SLURM_SUBMIT_DIR/$script ;; esac
    [ -n "$script" ] && jobs_dir=$(dirname "$script")
fi
. "${jobs_dir:-$(dirname "$0")}/ilrl-job.sh" || { echo "sweep-gather.sh: jobs/ilrl-job.sh not found; set ILRL_JOBS" >&2; exit 1; }

dir=${ILRL_OUTDIR:-ilrl-sweep}
points=$dir/points.txt
ilrl_sweep_points >"$points" || exit 1
set --
while read -r label _; do
    ilrl_landscape_done "$dir/$label.nc" || { ilrl_log "$dir/$label.nc missing or unfinished"; exit 1; }
    set -- "$@" "$dir/$label.nc"
done <"$points"

compare=$(ilrl_program ilrl-compare) || exit 1
"$compare" --csv "$@" >"$dir/compare.csv" || exit 1
python=$(ilrl_python) || exit 1
"$python" - "$dir" "$points" <<'PYTHON' || exit 1
import csv, math, os, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import netCDF4
import numpy as np

directory, points_file = sys.argv[1], sys.argv[2]
compare = {}
with open(os.path.join(directory, "compare.csv"), newline="") as f:
    for row in csv.DictReader(f):
        compare[os.path.basename(row["file"])] = row

def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan

GAMMA = 0.99  # ilrl-landscape's default --gamma: the weights of --rl-weight return

def mean_reward_to_go(demo, gamma):
    """Mean over all steps of G_t (docs/network-and-losses.md): the average RL weight, whose
    sign decides whether L_RL leans towards L_IL or away from it."""
    reward = np.asarray(demo.variables["reward"][:], dtype=float)
    starts = np.asarray(demo.variables["episode_start"][:], dtype=np.int64)
    lengths = np.asarray(demo.variables["episode_length"][:], dtype=np.int64)
    total = 0.0
    for start, length in zip(starts, lengths):
        g = 0.0
        for t in range(start + length - 1, start - 1, -1):
            g = reward[t] + gamma * g
            total += g
    return total / len(reward)

rows = []
with open(points_file) as f:
    for line in f:
        label, pilot = line.split()
        with netCDF4.Dataset(os.path.join(directory, label + "-demo.nc")) as demo:
            episodes = demo.dimensions["episode"].size
            score = (float(np.mean(demo.variables["score"][:]))
                     if "score" in demo.variables else math.nan)
            mean_return = mean_reward_to_go(demo, GAMMA)
        c = compare[label + ".nc"]
        eps = float(pilot.split(":", 1)[1]) if pilot.startswith("noisy:") else math.nan
        rows.append(dict(label=label, pilot=pilot, eps=eps, episodes=episodes,
                         mean_score=score, mean_return=mean_return,
                         pearson=number(c["pearson"]),
                         spearman=number(c["spearman"])))

def text(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else "%.10g" % value
    return str(value)

fields = ["label", "pilot", "eps", "episodes", "mean_score", "mean_return", "pearson", "spearman"]
with open(os.path.join(directory, "sweep.csv"), "w", newline="") as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(fields)
    for r in rows:
        writer.writerow([text(r[k]) for k in fields])

noisy = sorted((r for r in rows if not math.isnan(r["eps"])), key=lambda r: r["eps"])
fig, (ax, by_score) = plt.subplots(1, 2, figsize=(13, 4.6), constrained_layout=True)
x = [r["eps"] for r in noisy]
ax.plot(x, [r["pearson"] for r in noisy], "o-", color="tab:blue", label="Pearson r(IL, RL)")
for r in rows:
    if r["pilot"] == "poor" and not math.isnan(r["pearson"]):
        ax.axhline(r["pearson"], color="tab:blue", ls="--", lw=1, label="poor session r")
ax.set_xscale("symlog", linthresh=0.01)
ax.set_xlim(0, 1.05)
ax.set_ylim(-1.05, 1.05)
ax.set_xlabel("EPS (probability of a random action)")
ax.set_ylabel("Pearson r of IL and RL landscapes", color="tab:blue")
ax.axhline(0, color="grey", lw=0.5)
score_ax = ax.twinx()
score_ax.plot(x, [r["mean_score"] for r in noisy], "s:", color="tab:orange", label="mean score")
score_ax.set_ylabel("mean pipes passed per episode", color="tab:orange")
lines = ax.get_legend_handles_labels()
more = score_ax.get_legend_handles_labels()
ax.legend(lines[0] + more[0], lines[1] + more[1], loc="lower left", fontsize="small")
ax.set_title("Demonstration quality sweep: noisy:EPS pilot")

# r against what the demonstration achieved: score (pipes) and the mean
# discounted return-to-go, i.e. the mean RL weight.
scored = [r for r in rows if not math.isnan(r["mean_score"])]
points = by_score.scatter([r["mean_score"] for r in scored], [r["pearson"] for r in scored],
                          c=[r["mean_return"] for r in scored], cmap="coolwarm_r",
                          vmin=-max(abs(r["mean_return"]) for r in scored),
                          vmax=max(abs(r["mean_return"]) for r in scored),
                          edgecolors="black", zorder=3)
for r in scored:
    by_score.annotate(r["pilot"].replace("noisy:", ""), (r["mean_score"], r["pearson"]),
                      textcoords="offset points", xytext=(4, 4), fontsize="x-small")
by_score.set_xscale("symlog", linthresh=1)
by_score.set_ylim(-1.05, 1.05)
by_score.axhline(0, color="grey", lw=0.5)
by_score.set_xlabel("demonstration's mean score (pipes per episode)")
by_score.set_ylabel("Pearson r of IL and RL landscapes")
by_score.set_title("r against demonstration quality (labels: EPS)")
fig.colorbar(points, ax=by_score, label="mean return-to-go (mean RL weight, gamma %.2f)" % GAMMA)
fig.savefig(os.path.join(directory, "sweep.png"), dpi=120)
print("sweep: %d points -> %s, %s" % (len(rows), os.path.join(directory, "sweep.csv"),
                                      os.path.join(directory, "sweep.png")))
PYTHON
cat "$dir/sweep.csv"
