#!/bin/sh
# fuzzy_cli.sh TRAWL -- `trawl fuzzy`: exit codes, JSON shape, errors, and a
# pipe giving the same results as the mapped file.
set -u
T=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # name expected actual
    if [ "$2" != "$3" ]; then
        echo "FAIL $1: expected [$2] got [$3]"
        fails=$((fails + 1))
    fi
}

printf 'xx\252\273\314 yy \252\335\314 zz' >"$tmp/f.bin"

out=$("$T" fuzzy -p AABBCC -k 1 --json "$tmp/f.bin"); rc=$?
check found-rc 0 "$rc"
check json-line1 "{\"file\":\"$tmp/f.bin\",\"offset\":2,\"length\":3,\"pattern\":0,\"distance\":0,\"similarity\":1,\"data\":\"aabbcc\"}" "$(echo "$out" | sed -n 1p)"
check json-line2 "{\"file\":\"$tmp/f.bin\",\"offset\":9,\"length\":3,\"pattern\":0,\"distance\":1,\"similarity\":0.666667,\"data\":\"aaddcc\"}" "$(echo "$out" | sed -n 2p)"

out=$("$T" fuzzy -p AABBCC -k 1 --align "$tmp/f.bin" | sed -n 3p)
check align "    substitute pattern[1]=bb data[1]=dd" "$out"

piped=$(cat "$tmp/f.bin" | "$T" fuzzy -p AABBCC -k 1 --json - | sed 's/"file":"[^"]*"//')
mapped=$("$T" fuzzy -p AABBCC -k 1 --json "$tmp/f.bin" | sed 's/"file":"[^"]*"//')
check pipe-equals-file "$mapped" "$piped"

out=$("$T" fuzzy -p '{ AA ?? CC }' -k 0 --count "$tmp/f.bin"); rc=$?
check count "2" "$out"
check count-rc 0 "$rc"
cp "$tmp/f.bin" "$tmp/g.bin"
out=$("$T" fuzzy -p '{ AA ?? CC }' -k 0 --count "$tmp/f.bin" "$tmp/g.bin" | tr '\n' ' ')
check count-many "$tmp/f.bin:2 $tmp/g.bin:2 " "$out"

# the family's shapes: fuzzy prints what scan prints, plus dist and sim
sc=$("$T" scan -e '\xAA\xBB\xCC' "$tmp/f.bin" | sed 's/ aabbcc$//')
fz=$("$T" fuzzy -p AABBCC -k 0 "$tmp/f.bin" | sed 's/ dist 0   sim 1.0000 aabbcc$//')
check text-shape "$sc" "$fz"
sc=$("$T" scan --json -e '\xAA\xBB\xCC' "$tmp/f.bin" | sed 's/,"data".*//')
fz=$("$T" fuzzy --json -p AABBCC -k 0 "$tmp/f.bin" | sed 's/,"distance".*//')
check json-shape "$sc" "$fz"
sc=$("$T" scan -c -e '\xAA\xBB\xCC' "$tmp/f.bin" "$tmp/g.bin")
fz=$("$T" fuzzy -c -p AABBCC -k 0 "$tmp/f.bin" "$tmp/g.bin" 2>/dev/null || "$T" fuzzy --count -p AABBCC -k 0 "$tmp/f.bin" "$tmp/g.bin")
check count-shape "$sc" "$fz"
out=$("$T" fuzzy -p n=AABBCC -k 0 "$tmp/f.bin" | awk '{print $1, $2, $3, $4}')
check text-named "$tmp/f.bin:2 len 3 n" "$out"

"$T" fuzzy -p 112233 -k 0 "$tmp/f.bin" >/dev/null; check none-rc 1 $?
"$T" fuzzy -p AABBCC -k 1 --min-similarity 0.9 --hamming "$tmp/f.bin" | grep -c . >"$tmp/n"
check min-similarity 1 "$(cat "$tmp/n")"

for bad in "-p '' -k 0" "-p AABB -k 2" "-p AABBC -k 0" "-p AAGG -k 0" "-p '{ AA [2] BB }' -k 0" \
           "-k 1" "-p AABB" "-p AABB -k x" "-p AABB -k 1 --min-similarity 2"; do
    eval "\"$T\" fuzzy $bad \"$tmp/f.bin\"" >/dev/null 2>"$tmp/err"; rc=$?
    check "error-rc [$bad]" 2 "$rc"
    [ -s "$tmp/err" ] || { echo "FAIL no message for [$bad]"; fails=$((fails + 1)); }
done
"$T" fuzzy -p AABBC -k 0 "$tmp/f.bin" 2>&1 | grep -q "column 6" || { echo "FAIL column"; fails=$((fails + 1)); }
"$T" fuzzy -p AABB -k 0 "$tmp/missing" 2>/dev/null; check missing-file-rc 2 $?
"$T" fuzzy --help | grep -q "usage: trawl fuzzy" || { echo "FAIL help"; fails=$((fails + 1)); }

[ "$fails" = 0 ] && echo "fuzzy_cli: ok"
exit "$fails"
