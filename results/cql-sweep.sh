#!/bin/sh
# cql-sweep.sh BIN RESULTS_DIR "LAUNCHER" -- the CQL alpha sweep of `make
# experiment` (docs/value-objectives.md): for the poor and the strong
# session, L_CQL = L_TD + alpha L_IL on the reference plane (101 x 101, the
# default weights plane, frozen TD targets) for alpha from 0 to 100, and
# the Pearson r of that surface with L_IL (ilrl-compare's il_cql_pearson).
# Writes RESULTS_DIR/cql-sweep.csv: session,alpha,il_cql_pearson.
# At alpha = 0 the CQL surface is the TD surface; as alpha grows it turns
# into the IL surface; the README reads off the first alpha with r >= 0.9.
set -e
bin=$1
dir=$2
launcher=$3
alphas="0 0.01 0.03 0.1 0.3 1 3 10 30 100"
work=$(mktemp -d "${TMPDIR:-/tmp}/ilrl-cql-sweep.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
echo "session,alpha,il_cql_pearson" >"$dir/cql-sweep.csv.tmp"
for session in poor strong; do
    for alpha in $alphas; do
        $launcher "$bin/ilrl-landscape" --demo "$dir/$session-demo.nc" --nx 101 --ny 101 \
            --objectives cql --cql-alpha "$alpha" --quiet --force --out "$work/cql.nc"
        r=$("$bin/ilrl-compare" --csv "$work/cql.nc" | awk -F, '
            NR == 1 { for (i = 1; i <= NF; i++) if ($i == "il_cql_pearson") c = i }
            NR == 2 { print $c }')
        echo "$session,$alpha,$r" >>"$dir/cql-sweep.csv.tmp"
    done
done
mv "$dir/cql-sweep.csv.tmp" "$dir/cql-sweep.csv"
cat "$dir/cql-sweep.csv"
