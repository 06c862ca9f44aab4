#!/bin/sh
# make-readme.sh COMPARE RESULTS_DIR -- writes results/README.md (stdout)
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
\`--rl-weight return\`, gamma 0.99.

\`\`\`
$("$compare" "$dir/poor.nc" "$dir/strong.nc" | sed "s|$dir/||g")
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

## How it was made

\`\`\`
ilrl-demo --pilot poor --episodes 1 --max-steps 3000 --seed 1 --out poor-demo.nc
ilrl-demo --pilot strong --episodes 5 --max-steps 3000 --seed 1 --out strong-demo.nc
mpirun -n $(nproc) ilrl-landscape --demo poor-demo.nc --nx 101 --ny 101 --out poor.nc
mpirun -n $(nproc) ilrl-landscape --demo strong-demo.nc --nx 101 --ny 101 --out strong.nc
ilrl-compare poor.nc strong.nc
ilrl-plot --panel poor.nc strong.nc -o reference.png
\`\`\`
TEXT
