#!/bin/sh
# make-readme.sh COMPARE RESULTS_DIR -- writes results/README.md (stdout)
# (COMPARE: absolute path of ilrl-compare)
# from the files `make experiment` just made: the ilrl-compare table, the
# demos' scores and the exact commands.
compare=$1
dir=$2
score() { ncdump -v score "$1" | sed -n '/^ score =/,/;/p' | tr -dc '0-9,\n ' | tr ',' ' ' | awk '{for(i=1;i<=NF;i++){s+=$i;n++}} END{printf "%.1f", n ? s/n : 0}'; }
steps() { ncdump -h "$1" | sed -n 's/^\s*step = \([0-9]*\) ;/\1/p'; }
cat <<TEXT
# Reference experiment

Made by \`make experiment\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(uname -m)).
Regenerate with the same command; the numbers below come from these files.

![poor and strong sessions, IL and RL](reference.png)

| session | demo file | pilot | steps | mean score | landscape |
|---|---|---|---|---|---|
| poor | poor-demo.nc | \`poor\`, 1 episode | $(steps "$dir/poor-demo.nc") | $(score "$dir/poor-demo.nc") | poor.nc |
| strong | strong-demo.nc | \`strong\`, 5 episodes of 3000 steps | $(steps "$dir/strong-demo.nc") | $(score "$dir/strong-demo.nc") | strong.nc |

Both landscapes: network 12,64,64,2 tanh, seed 1, default plane (the flap
logit's weights from hidden units 0 and 1), 101 x 101 points over ±10,
\`--rl-weight return\`, gamma 0.99, and the true return surface
(\`--objective return\`: 8 greedy episodes of at most 1000 frames per point).

\`\`\`
$(cd "$dir" && "$compare" poor.nc strong.nc)
\`\`\`

## Reading it

- **Poor session** (crashes into the first pipe): every step's return is
  negative (-gamma^(T-1-t)), so L_RL = -(1/N) sum w_t log pi is minimised by
  making the demonstrated actions *unlikely*: the RL surface is the IL
  surface upside down (Pearson r <= -0.9), and the two minima sit at
  opposite sides of the window.
- **Strong session** (79 pipes per episode, never crashes): the returns are
  positive, so L_RL is a re-weighted L_IL and the surfaces agree (r >= +0.9);
  the gradients at theta0 point the same way (gradient_cosine near +1).

## The return the policies earn

The last column is the discounted return of each grid point's own policy,
played in the simulator (docs/return-surface.md). It is the same picture in both rows, as
it must be: it depends on theta and the rollout seeds, not on the
demonstration. Almost the whole window is one of two degenerate pilots --
flap too rarely and fall (return about -0.74, 31 frames), or flap too often
and hit the first pipe's upper half (about -0.61) -- with a thin ridge
between them where the bird sometimes passes a pipe.

\`il_ret_r\` and \`rl_ret_r\` (JSON: \`il_return_pearson\`,
\`rl_return_pearson\`) are the Pearson r of -L_IL and -L_RL with that
return: does lowering the offline loss on this plane raise the return?

- **Strong session**: no, it lowers it (r about -0.56 for both). The strong
  pilot idles on 94 % of frames, so with only two output weights free the
  cheapest way to copy it is to idle more -- towards the falling pilot. IL
  and RL agree with each other, and both point away from the ridge:
  matching per-step action frequencies on a two-weight plane is not
  playing well.
- **Poor session**: close to zero. The poor pilot flaps on about half of
  its 50 frames to hold the bird high; the IL and RL minima lie in opposite
  corners, both inside the two degenerate regions whose returns barely
  differ, so neither loss tracks the return.

A plane through the directions that matter (\`--plane gradients\`, or a
trained theta0) is where the offline objectives can be checked against the
return; this figure is the reference experiment's plane.

TEXT
# The value-based row (docs/value-objectives.md): present when the
# landscapes were made with --objectives td,cql.
if ncdump -h "$dir/poor.nc" | grep -q 'double td_loss'; then
csv=$(cd "$dir" && "$compare" --csv poor.nc strong.nc)
# column FILE NAME: one number of ilrl-compare's CSV, 2 decimals, signed
column() { echo "$csv" | awk -F, -v file="$1" -v name="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
    NR > 1 && $1 == file { printf "%+.2f", $c }'; }
attribute() { ncdump -h "$dir/$1" | sed -n "s/^[[:space:]]*:$2 = \([-0-9.e]*\).*/\1/p" | awk '{ printf "%+.2f", $1 }'; }
threshold() { awk -F, -v session="$1" '$1 == session && $3 >= 0.9 && !found { print $2; found = 1 }' "$dir/cql-sweep.csv"; }
cat <<TEXT
## The value-based objectives

The same network read as Q-values (docs/value-objectives.md): L_TD with
targets frozen at theta0 (gamma 0.99, one step of fitted-Q evaluation on
the demonstration) and L_CQL = L_TD + 1 x L_IL, on the same plane.

| session | r(IL, TD) | r(RL, TD) | r(IL, CQL) | r(-TD, return) | r(-CQL, return) | cos(grad IL, grad TD) at theta0 |
|---|---|---|---|---|---|---|
| poor | $(column poor.nc il_td_pearson) | $(column poor.nc rl_td_pearson) | $(column poor.nc il_cql_pearson) | $(column poor.nc td_return_pearson) | $(column poor.nc cql_return_pearson) | $(attribute poor.nc gradient_cosine_il_td) |
| strong | $(column strong.nc il_td_pearson) | $(column strong.nc rl_td_pearson) | $(column strong.nc il_cql_pearson) | $(column strong.nc td_return_pearson) | $(column strong.nc cql_return_pearson) | $(attribute strong.nc gradient_cosine_il_td) |

- **Poor session: TD follows the demonstrator** (r(IL, TD) =
  $(column poor.nc il_td_pearson)) where RL flees it (r(RL, TD) =
  $(column poor.nc rl_td_pearson)). TD has no sign to flip: it regresses
  the demonstrated action's value onto r + gamma max Q(s'), whatever the
  return, so a crash does not turn it around the way a negative RL weight
  turns L_RL.
- **Strong session: neither** (r(IL, TD) = $(column strong.nc il_td_pearson)).
  This plane moves only the flap logit, and L_TD reads Q(s_t, a_t) of the
  *taken* action alone: the strong pilot idles on 94 % of its frames, so
  TD sees the plane through the 6 % of flap steps, while L_IL sees every
  step (the idle steps' log-probabilities depend on the flap logit too).
  The poor pilot flaps on about half its frames, so there TD and IL see
  the same steps, which is why they agree.
- **And the return?** -L_TD tracks the return weakly in both sessions
  (r = $(column poor.nc td_return_pearson) and $(column strong.nc td_return_pearson)):
  fitting one step of Bellman targets on fixed data is no more a measure
  of play than imitation is, on this plane.

**CQL alpha sweep** (\`cql-sweep.csv\`, made by results/cql-sweep.sh: the
same plane, alpha from 0 to 100): r of L_CQL with L_IL. At alpha = 0 the
CQL surface is the TD surface; its regulariser is L_IL itself, so it
becomes the IL surface (r >= 0.9) from alpha = $(threshold poor) for the
poor session and alpha = $(threshold strong) for the strong one -- as soon as
the regulariser's scale matches L_TD's: at the default alpha = 1, CQL on
this plane is already mostly imitation.

| alpha | $(awk -F, 'NR > 1 && $1 == "poor" { printf "%s | ", $2 }' "$dir/cql-sweep.csv")
|---|$(awk -F, 'NR > 1 && $1 == "poor" { printf "---|" }' "$dir/cql-sweep.csv")
| poor | $(awk -F, 'NR > 1 && $1 == "poor" { printf "%+.3f | ", $3 }' "$dir/cql-sweep.csv")
| strong | $(awk -F, 'NR > 1 && $1 == "strong" { printf "%+.3f | ", $3 }' "$dir/cql-sweep.csv")

TEXT
fi
if [ -f "$dir/sweep.csv" ]; then
cat <<TEXT
## Demonstration-quality sweep (\`make sweep\`)

![r against EPS and against the demo's score](sweep.png)

The poor pilot, then \`noisy:EPS\` (the strong pilot taking a uniformly
random action with probability EPS), 5 episodes of at most 3000 steps each,
same network, plane and grid as above. \`mean_return\` is the mean over all
steps of the discounted reward-to-go G_t, i.e. the mean RL weight.

| pilot | mean score | mean return-to-go | Pearson r(IL, RL) |
|---|---|---|---|
$(sed 1d "$dir/sweep.csv" | awk -F, '{ printf "| %s | %s | %.3f | %+.4f |\n", $2, $5, $6, $7 }')

**Finding.** Demonstration quality does not move r gradually: r stays
above +0.97 while the demo still earns a positive mean return-to-go, and
flips to below -0.99 as soon as it turns negative -- between EPS 0.04
(1.2 pipes per episode, mean G +0.12) and EPS 0.05 (0.8 pipes, mean G
-0.11). With the \`return\` weighting, L_RL ~ -mean(G) x L_IL to first order
on a plane where all steps behave alike, so the sign of the mean RL weight,
not the score, decides whether RL follows the demonstrator or flees it.
Centring the weights (\`--rl-weight advantage\`, G_t - mean G) breaks
this rule, because RL then weighs which steps led to better outcomes; one
run each on the sweep's demos gave r = +0.95 (EPS 0.04), -0.44 (EPS 0.05)
and +0.72 (EPS 0): no longer a sign flip, and no longer a copy of IL.

TEXT
fi
cat <<TEXT
## How it was made

\`\`\`
ilrl-demo --pilot poor --episodes 1 --max-steps 3000 --seed 1 --out poor-demo.nc
ilrl-demo --pilot strong --episodes 5 --max-steps 3000 --seed 1 --out strong-demo.nc
mpirun -n $(nproc) ilrl-landscape --demo poor-demo.nc --nx 101 --ny 101 --objective return --objectives td,cql --out poor.nc
mpirun -n $(nproc) ilrl-landscape --demo strong-demo.nc --nx 101 --ny 101 --objective return --objectives td,cql --out strong.nc
ilrl-compare poor.nc strong.nc
results/cql-sweep.sh BIN . "mpirun -n $(nproc)"    # cql-sweep.csv: --objectives cql --cql-alpha A, A = 0 .. 100
ilrl-plot --panel poor.nc strong.nc -o reference.png
make sweep    # sweep.csv, sweep.png: jobs/sweep.sbatch for each point, then jobs/sweep-gather.sh
\`\`\`
TEXT
