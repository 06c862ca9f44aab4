#!/bin/sh
# run-mpi.sh NP TEST -- automake LOG_COMPILER for *.np2 / *.np3 tests.
# Runs the shell script TEST with $MPIRUN = "mpirun -n NP --oversubscribe" and
# Check's no-fork mode (fork breaks MPI).  Every test gets a hard timeout so a
# hang fails instead of blocking `make check`.
np=$1
test_script=$2
: "${MPIRUN_PROGRAM:=mpirun}"
# -q: mpirun adds a multi-line notice whenever a rank exits non-zero; the
# tests assert on the program's own one-line message (users see both unless
# they pass -q too; see README).  Tests that run other rank counts use
# $MPIRUN_PROGRAM, which carries -q as well.
MPIRUN_PROGRAM="$MPIRUN_PROGRAM -q"
MPIRUN="$MPIRUN_PROGRAM -n $np --oversubscribe"
export MPIRUN_PROGRAM
CK_FORK=no
export MPIRUN CK_FORK
# Test machines and CI run as root, which mpirun refuses unless told.
if [ "$(id -u)" -eq 0 ]; then
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM
fi
exec timeout -k 10 "${ILRL_TEST_TIMEOUT:-300}" sh "$test_script"
