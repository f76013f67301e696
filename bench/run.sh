#!/bin/sh
# run.sh -- run every benchmark program built under build/bench, in order.
# Environment: BENCH_RUNS (repetitions, default 5), BENCH_MIB (corpus MiB).
set -eu
found=0
for b in build/bench/bench_*; do
    [ -x "$b" ] || continue
    found=1
    echo "### $(basename "$b")"
    "$b"
    echo
done
[ "$found" = 1 ] || { echo "no benchmarks built" >&2; exit 1; }
echo "### shell.sh (whole processes)"
sh bench/shell.sh
