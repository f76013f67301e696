#!/bin/sh
# fuzzy_hostile.sh TRAWL -- `trawl fuzzy` on the repetitive data of issue
# 19: a pattern of 64 zero bytes, k = 63, over zeros. Every byte ends
# 2k+1 candidate windows; before, every candidate of the whole input was
# held (100 KB: 405 MB, 1 MB: 2.3 GB and over a minute). Now memory stays
# flat and time is linear (bench/attack/run.sh times 0.1-1 MB): here
# 50 KB from a file and from a pipe, the same count, under 64 MB each
# (before: 200 MB).
# `trawl similar` on 2 MB of zeros (every window pairs with every other):
# before, the candidate list of each window grew to the whole input (50 MB:
# 3.57 GB after 30 s and growing); now memory is the input plus 12 bytes a
# byte whatever the data, and the pairs stop at --max-pairs with exit 2 and
# a message.
set -u
T=$1
. "$(dirname "$0")/lib/check.sh"
peak() { python3 "$(dirname "$0")/lib/peak.py" "$@"; }
mb() { sed -n 's/.*peak_mb=\([0-9.]*\).*/\1/p' "$1"; }
small() { awk -v a="$1" 'BEGIN { exit !(a < 64) }' && echo yes || echo "no: $1 MB"; }

head -c 50000 /dev/zero >"$dir/z"
P=$(printf '00%.0s' $(seq 64))
peak "$T" fuzzy -p "$P" -k 63 --count "$dir/z" >"$dir/out" 2>"$dir/peak"
check file-count "782" "$(cat "$dir/out")"
check file-memory yes "$(small "$(mb "$dir/peak")")"
peak --stdin "$dir/z" "$T" fuzzy -p "$P" -k 63 --count - >"$dir/out" 2>"$dir/peak"
check pipe-count "782" "$(cat "$dir/out")"
check pipe-memory yes "$(small "$(mb "$dir/peak")")"
cat "$dir/peak"

head -c 2000000 /dev/zero >"$dir/z2"
peak "$T" similar -L 16 -k 1 --max-pairs 200000 "$dir/z2" 2>"$dir/peak" | tail -n1 >"$dir/out"
check similar-zeros-last "0 200000 0" "$(cat "$dir/out")"
check similar-zeros-stop "trawl similar: $dir/z2: stopped after 200000 pairs (max_pairs), at window 0: the data is too repetitive to list every pair (--max-pairs)" \
    "$(sed -n 1p "$dir/peak")"
check similar-zeros-rc "rc=2" "$(sed -n 's/ peak_mb.*//p' "$dir/peak")"
check similar-zeros-memory yes "$(small "$(mb "$dir/peak")")"
cat "$dir/peak"
"$T" similar -L 16 -k 1 --max-input 1m "$dir/z2" 2>"$dir/e" >/dev/null; rc=$?
check similar-max-input "2 trawl similar: $dir/z2: larger than the limit of 1048576 bytes (--max-input)" "$rc $(cat "$dir/e")"

[ $fails -eq 0 ] && echo "fuzzy_hostile: all passed"
exit $fails
