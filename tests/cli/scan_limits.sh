#!/bin/sh
# scan_limits.sh TRAWL -- `trawl scan` on hostile rule files and patterns
# (issue 19): every one is refused quickly, with exit 2 and a message
# naming the file or pattern, the line and the limit. Before: -r /dev/zero
# grew to 17.5 GB (under ulimit -v it exited 2 saying nothing); 1,000 ".*"
# in one pattern compiled for over a minute; 1,000 rules ".{0,50}xN.{0,50}"
# took seconds each thousand, 100,000 of them over a minute and 3.3 GB.
# Each run here is bounded by timeout and ulimit -v.
set -u
T=$1
. "$(dirname "$0")/lib/check.sh"
# run CMD...: "rc message" with 10 s and 1 GB of address space at most.
# An ASan build reserves terabytes of shadow address space at start, so it
# runs without the address-space cap (and the out-of-memory case, which
# needs the cap, is skipped there).
. "$(dirname "$0")/lib/asan.sh"
run() {
    if [ $asan = 1 ]; then
        (timeout 10 "$T" "$@" 2>"$dir/e" >/dev/null)
    else
        (ulimit -v 1000000; timeout 10 "$T" "$@" 2>"$dir/e" >/dev/null)
    fi
    echo "$? $(cat "$dir/e")"
}
: >"$dir/empty"

check rules-dev-zero "2 trawl scan: /dev/zero: larger than the limit of 16777216 bytes (--max-rules-size)" \
    "$(run scan -r /dev/zero "$dir/empty")"
check rules-small-cap "2 trawl scan: /dev/zero: larger than the limit of 1024 bytes (--max-rules-size)" \
    "$(run scan --max-rules-size 1k -r /dev/zero "$dir/empty")"
if [ $asan = 0 ]; then
    check rules-oom "2 trawl scan: /dev/zero: out of memory reading it" \
        "$(run scan --max-rules-size 4g -r /dev/zero "$dir/empty")"
else
    echo "skip rules-oom: needs ulimit -v, which an ASan build cannot run under"
fi
python3 -c 'print("long: " + "a" * 70000)' >"$dir/long.rules"
check rule-line "2 trawl scan: $dir/long.rules, line 1: line of 70006 bytes, over the limit of 65536" \
    "$(run scan -r "$dir/long.rules" "$dir/empty")"
check dotstar-1000 "2 trawl scan: pattern 0, column 1: 1000 unbounded repeats (*, +, {n,}, [n-]), over the limit of 64" \
    "$(run scan -e "A$(printf '.*%.0s' $(seq 1000))B" "$dir/empty")"
check hex-jumps-1000 "2 trawl scan: pattern 0, column 1: 1000 unbounded repeats (*, +, {n,}, [n-]), over the limit of 64" \
    "$(run scan -e "{ 41 $(printf '[-] 42 %.0s' $(seq 1000))}" "$dir/empty")"
check wide-pattern "2 trawl scan: pattern 0, column 1: 10000 positions that match more than one byte once repeats are expanded, over the limit of 4096" \
    "$(run scan -e 'A.{0,10000}B' "$dir/empty")"
python3 -c '
for i in range(100000): print("r%d: .{0,50}x%d.{0,50}" % (i, i))' >"$dir/set.rules"
check set-budget "2 trawl scan: $dir/set.rules, line 656, column 7: rule 'r655': the set would reach 65600 positions that match more than one byte (this pattern adds 100), over the set's limit of 65536" \
    "$(run scan -r "$dir/set.rules" "$dir/empty")"
head -3 "$dir/set.rules" >"$dir/three.rules"
check set-budget-flag "2 trawl scan: $dir/three.rules, line 3, column 5: rule 'r2': the set would reach 300 positions that match more than one byte (this pattern adds 100), over the set's limit of 250" \
    "$(run scan --max-complexity 250 -r "$dir/three.rules" "$dir/empty")"
# within the limits: compiled and scanned (no match: exit 1)
check within "1 " "$(run scan -r "$dir/three.rules" -e "A$(printf '.*%.0s' $(seq 64))B" "$dir/empty")"

[ $fails -eq 0 ] && echo "scan_limits: all passed"
exit $fails
