#!/bin/sh
# run-mpi.sh NP TEST -- automake LOG_COMPILER for *.np2 / *.np3 tests.
# Runs the shell script TEST with $MPIRUN = "mpirun -n NP --oversubscribe" and
# Check's no-fork mode (fork breaks MPI).  Every test gets a hard timeout so a
# hang fails instead of blocking `make check`.
np=$1
test_script=$2
: "${MPIRUN_PROGRAM:=mpirun}"
MPIRUN="$MPIRUN_PROGRAM -n $np --oversubscribe"
CK_FORK=no
export MPIRUN CK_FORK
exec timeout -k 10 "${ILRL_TEST_TIMEOUT:-300}" sh "$test_script"
