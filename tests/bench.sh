#!/bin/sh
# bench.sh -- `make bench`: prints the benchmark table.  Speed and memory
# targets live here, never in timed tests.
printf '%-10s %-11s %6s %5s %8s %14s %8s %7s %9s\n' plane grid steps ranks seconds sample-evals/s GFLOP/s %peak peak-RSS
