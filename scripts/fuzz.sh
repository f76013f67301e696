#!/bin/sh
# fuzz.sh DIR SECONDS -- run every libFuzzer target in DIR for SECONDS each,
# seeded from fuzz/corpus/<target>/ when that exists. Fails on the first crash,
# leaving the reproducer in build-fuzz/.
set -u
dir=$1
secs=$2
for t in "$dir"/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    work="build-fuzz/corpus/$name"
    mkdir -p "$work"
    seeds=""
    [ -d "fuzz/corpus/$name" ] && seeds="fuzz/corpus/$name"
    log="build-fuzz/$name.log"
    printf '== %s (%ss) ' "$name" "$secs"
    if ASAN_OPTIONS=detect_leaks=1 "$t" -max_total_time="$secs" -rss_limit_mb=2048 \
        -timeout=10 -artifact_prefix=build-fuzz/ "$work" $seeds >"$log" 2>&1; then
        grep -E "^Done [0-9]+ runs" "$log" | tail -1
    else
        echo FAILED
        tail -40 "$log"
        exit 1
    fi
done
echo "fuzz: all targets ran clean"
