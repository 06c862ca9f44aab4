#!/bin/sh
# make-corpus.sh [DIR] -- (re)generates the fuzzer's seed corpus for the
# demonstration reader (default DIR: tests/fuzz/corpus beside this script)
# with ncgen (netcdf-bin): small valid files in the NetCDF-4 and classic
# formats and a few invalid ones, each a few kB.  The files are committed;
# rerun this only when the demo schema (docs/formats.md) changes.
set -e
dir=${1:-$(dirname "$0")/corpus}
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/base.cdl" <<'CDL'
netcdf base {
dimensions:
	step = 4 ;
	feature = 2 ;
	episode = 2 ;
variables:
	double obs(step, feature) ;
	int action(step) ;
	double reward(step) ;
	int64 episode_start(episode) ;
	int episode_length(episode) ;
	byte terminated(episode) ;
	int score(episode) ;

// global attributes:
	:ilrl_file_kind = "demonstration" ;
	:n_actions = 2 ;
	:env = "test" ;
	:seed = 7LL ;
data:
 obs = 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8 ;
 action = 0, 1, 1, 0 ;
 reward = 0, 1, 0, -1 ;
 episode_start = 0, 2 ;
 episode_length = 2, 2 ;
 terminated = 0, 1 ;
 score = 0, 1 ;
}
CDL
# seed NAME KIND SED-SCRIPT
seed() {
    sed -e "$3" "$tmp/base.cdl" >"$tmp/$1.cdl"
    ncgen -k "$2" -o "$dir/$1.nc" "$tmp/$1.cdl"
}
seed valid-nc4 nc4 ''
seed valid-classic classic 's/int64 episode_start/int episode_start/;s/7LL/7/'
seed valid-float nc4 's/double obs/float obs/;s/int action/byte action/;s/double reward/float reward/'
seed valid-unlimited nc4 's/step = 4/step = UNLIMITED/'
seed valid-no-score nc4 '/score/d'
seed valid-string-attributes nc4 's/:env = "test"/string :env = "test"/'
seed bad-action nc4 's/^ action = .*/ action = 0, 1, 2, 0 ;/'
seed bad-episodes nc4 's/^ episode_start = .*/ episode_start = 0, 3 ;/'
seed bad-nan classic 's/0\.5/NaN/;s/int64 episode_start/int episode_start/;s/7LL/7/'
seed bad-shape nc4 's/double reward(step)/double reward(episode)/;s/^ reward = .*/ reward = 1, 2 ;/'
ls -l "$dir"
