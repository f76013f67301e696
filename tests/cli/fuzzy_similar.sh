#!/bin/sh
# fuzzy_similar.sh TRAWL -- `trawl similar`: pairs, JSON shape, exit codes.
set -u
T=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {
    if [ "$2" != "$3" ]; then
        echo "FAIL $1: expected [$2] got [$3]"
        fails=$((fails + 1))
    fi
}
printf 'hello world, hellp world; xyz hallo world' >"$tmp/s.txt"
out=$("$T" similar -L 11 -k 1 --json "$tmp/s.txt"); rc=$?
check rc 0 "$rc"
check json '{"a":0,"b":13,"distance":1}
{"a":0,"b":30,"distance":1}' "$out"
check hamming "0 13 1" "$("$T" similar -L 11 -k 1 --hamming "$tmp/s.txt" | head -1)"
check pipe "$out" "$(cat "$tmp/s.txt" | "$T" similar -L 11 -k 1 --json -)"
"$T" similar -L 11 -k 0 "$tmp/s.txt" >/dev/null; check none 1 $?
"$T" similar -L 3 -k 3 "$tmp/s.txt" 2>/dev/null; check k-ge-L 2 $?
"$T" similar -k 1 "$tmp/s.txt" 2>/dev/null; check no-L 2 $?
"$T" similar -L 4 -k 1 2>/dev/null; check no-file 2 $?
"$T" similar --help | grep -q "usage: trawl similar" || { echo "FAIL help"; fails=$((fails + 1)); }
[ "$fails" = 0 ] && echo "fuzzy_similar: ok"
exit "$fails"
