#!/bin/sh
# analyze.sh TRAWL -- `trawl analyze`: each command's output and JSON shape,
# exit codes (0 results, 1 nothing, 2 error), errors naming where, the
# consensus pattern accepted by `trawl scan -e`, pipes, SVG files.
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
has() { # has NAME NEEDLE HAYSTACK
    case "$3" in
    *"$2"*) ;;
    *) echo "FAIL $1: [$2] not in [$3]"; fails=$((fails + 1)) ;;
    esac
}

# ---- entropy ----
printf 'AAAAAAAA' >"$tmp/a.bin"
out=$("$T" analyze entropy --json "$tmp/a.bin"); check entropy-rc 0 $?
has entropy-zero '"bytes":8,"entropy":0.000000,"distinct":1' "$out"
head -c 4096 /dev/zero >"$tmp/z.bin"
head -c 8192 /dev/urandom >>"$tmp/z.bin"
printf 'The quick brown fox jumps over the lazy dog. %.0s' $(seq 1 100) >>"$tmp/z.bin"
out=$("$T" analyze entropy --regions --json -w 1024 "$tmp/z.bin")
check regions "padding random text" "$(echo "$out" | sed -n 's/.*"class":"\([a-z-]*\)".*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
has region-rule '"rule":"one byte value repeated"' "$out"
check windows 17 "$("$T" analyze entropy --windows -w 1024 "$tmp/z.bin" | tail -n +3 | wc -l | tr -d " ")"
check pipe "$("$T" analyze entropy "$tmp/z.bin" | sed 1s/^[^:]*://)" "$(cat "$tmp/z.bin" | "$T" analyze entropy - | sed 1s/^[^:]*://)"
"$T" analyze entropy --svg "$tmp/e.svg" --regions "$tmp/z.bin" >/dev/null; check svg-rc 0 $?
has svg "<svg xmlns" "$(head -3 "$tmp/e.svg")"
has svg-legend ">random</text>" "$(cat "$tmp/e.svg")"
"$T" analyze entropy -w 0 "$tmp/a.bin" 2>/dev/null; check bad-window 2 $?
"$T" analyze entropy "$tmp/nope" 2>/dev/null; check missing 2 $?

# ---- ngrams ----
printf 'abcabcabcxyz' >"$tmp/n.txt"
out=$("$T" analyze ngrams -n 3 --top 2 --json "$tmp/n.txt"); check ngrams-rc 0 $?
check ngrams '{"rank":1,"n":3,"hex":"616263","count":3,"messages":1,"first_message":0,"first_offset":0,"file":"'"$tmp"'/n.txt"}
{"rank":2,"n":3,"hex":"626361","count":2,"messages":1,"first_message":0,"first_offset":1,"file":"'"$tmp"'/n.txt"}' "$out"
"$T" analyze ngrams -n 20 "$tmp/n.txt" 2>/dev/null; check ngrams-n 2 $?
printf 'ab' >"$tmp/short"
"$T" analyze ngrams -n 3 "$tmp/short" >/dev/null; check ngrams-none 1 $?
out=$("$T" analyze ngrams -n 2 --frames pcap --json samples/modbusSmall.pcap | head -1)
has ngrams-pcap '"messages":38' "$out"

# ---- repeats ----
out=$("$T" analyze repeats -l 3 --top 1 --json "$tmp/n.txt"); check repeats-rc 0 $?
check repeats '{"file":"'"$tmp"'/n.txt","rank":1,"length":6,"count":2,"offsets":[0,3],"hex":"616263616263"}' "$(echo "$out" | head -1)"
printf 'abcdefgh' >"$tmp/u.txt"
"$T" analyze repeats "$tmp/u.txt" >/dev/null; check repeats-none 1 $?
"$T" analyze repeats "$tmp/u.txt" "$tmp/n.txt" 2>/dev/null; check repeats-two 2 $?

# ---- columns and consensus ----
printf '0300 0019 02f0 8032 01\n0300 0021 02f0 8032 07\n0300 001b 02f0 8032 03\n' >"$tmp/m.hex"
out=$("$T" analyze columns --hex-lines --json "$tmp/m.hex"); check columns-rc 0 $?
has consensus '"pattern":"{ 03 00 00 ?? 02 F0 80 32 ?? }"' "$out"
pat=$(echo "$out" | head -1 | sed 's/.*"pattern":"\([^"]*\)".*/\1/')
# the pattern finds every S7comm PDU header in the capture
check scan-pattern 0 "$("$T" scan --count -e "$pat" samples/s7comm_downloading_block_db1.pcap >/dev/null; echo $?)"
printf '0300\n03zz\n' >"$tmp/bad.hex"
err=$("$T" analyze columns --hex-lines "$tmp/bad.hex" 2>&1); check hex-rc 2 $?
has hex-error "line 2, column 3: not a hex digit" "$err"
printf '030\n' >"$tmp/odd.hex"
err=$("$T" analyze columns --hex-lines "$tmp/odd.hex" 2>&1); check odd-rc 2 $?
has odd-error "line 1, column 3" "$err"

# ---- align ----
out=$("$T" analyze align --hex-lines --json "$tmp/m.hex"); check align-rc 0 $?
has align '"score":70,"similarity":0.777778' "$out"
"$T" analyze align -a 0 -b 9 --hex-lines "$tmp/m.hex" 2>/dev/null; check align-range 2 $?

# ---- cluster ----
printf 'aaaa01\naaaa02\naaaa03\nbbbbbbbb10\nbbbbbbbb11\nbbbbbbbb12\n' >"$tmp/c.hex"
out=$("$T" analyze cluster --hex-lines -k 2 --json "$tmp/c.hex"); check cluster-rc 0 $?
# clusters are numbered as SciPy's fcluster numbers them: depth first from the root
check cluster-items "1 1 1 0 0 0" "$(echo "$out" | sed -n 's/^{"index":[0-9]*,"cluster":\([0-9]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
check cluster-merges 5 "$(echo "$out" | grep -c '^{"merge"')"
has cluster-pattern '{"cluster":0,"size":3,"shortest":5,"longest":5,"pattern":"{ BB BB BB BB ?? }"}' "$out"
has cluster-merge '{"merge":4,"a":7,"b":9,"distance":1,"size":6}' "$out"
has cluster-summary '"silhouette":' "$out"
out=$("$T" analyze cluster --hex-lines --method kmeans -k 2 --json "$tmp/c.hex")
check kmeans "1 1 1 0 0 0" "$(echo "$out" | sed -n 's/^{"index":[0-9]*,"cluster":\([0-9]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
out=$("$T" analyze cluster --hex-lines --method dbscan --eps 0.5 --min-samples 2 --metric hamming --json "$tmp/c.hex")
has dbscan '"clusters":2' "$out"
"$T" analyze cluster --hex-lines -k 2 --svg "$tmp/d.svg" "$tmp/c.hex" >/dev/null; check dendro-rc 0 $?
has dendrogram "<polyline" "$(cat "$tmp/d.svg")"
# vectors from CSV and npy
printf 'x,y\n0,0\n0,1\n10,10\n10,11\n' >"$tmp/v.csv"
out=$("$T" analyze cluster --input-format csv --method ward -k 2 --json "$tmp/v.csv")
check csv-ward "0 0 1 1" "$(echo "$out" | sed -n 's/^{"index":[0-9]*,"cluster":\([0-9]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//')"
# errors: exit 2 with Oscura's messages
err=$("$T" analyze cluster --input-format csv --method kmeans -k 5 "$tmp/v.csv" 2>&1); check k-gt-n 2 $?
has k-gt-n-msg "k (5) cannot exceed the number of points (4)" "$err"
err=$("$T" analyze cluster --input-format csv --method kmeans -k 0 "$tmp/v.csv" 2>&1); check k-zero 2 $?
has k-zero-msg "k must be at least 1" "$err"
"$T" analyze cluster --hex-lines "$tmp/c.hex" 2>/dev/null; check no-cut 2 $?
"$T" analyze cluster --hex-lines -k 2 --method centroid "$tmp/c.hex" 2>/dev/null; check bad-method 2 $?
printf 'x,y\n1,2\n3\n' >"$tmp/bad.csv"
err=$("$T" analyze cluster --input-format csv -k 2 "$tmp/bad.csv" 2>&1); check bad-csv 2 $?
has bad-csv-msg "line 3, column 1" "$err"
printf '\223NUMPY\001\000\010\000{}      ' >"$tmp/bad.npy"
err=$("$T" analyze cluster --input-format npy -k 2 "$tmp/bad.npy" 2>&1); check bad-npy 2 $?
has bad-npy-msg "'descr'" "$err"
# a (R, 0) shape is refused at once (found by fuzz_analyze_npy: it walked
# 4.4e12 empty rows, for hours; the 60 s bound leaves room for a loaded ASan run)
python3 -c 'import sys; h=b"{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: (4444444444444, 0), }"; h=h+b" "*(63-len(h))+b"\n"; sys.stdout.buffer.write(b"\x93NUMPY\x01\x00"+bytes([len(h),0])+h)' >"$tmp/empty.npy"
err=$(timeout 60 "$T" analyze cluster --input-format npy -k 2 "$tmp/empty.npy" 2>&1); check empty-npy 2 $?
has empty-npy-msg "shape (4444444444444, 0) holds no values" "$err"
: >"$tmp/empty.hex"
"$T" analyze cluster --hex-lines -k 2 "$tmp/empty.hex" 2>/dev/null; check nothing 1 $?
"$T" analyze cluster --hex-lines -k 2 --max-memory 8 "$tmp/c.hex" 2>/dev/null; check max-memory 2 $?
out=$("$T" analyze cluster --frames pcap -k 4 --json samples/modbusSmall.pcap | tail -1)
has pcap-cluster '{"items":38,"clusters":4,"method":"average","metric":"levenshtein"' "$out"

# ---- help and dispatch ----
"$T" analyze --help | grep -q "usage: trawl analyze COMMAND" || { echo "FAIL help"; fails=$((fails + 1)); }
for c in entropy ngrams repeats columns align cluster; do
    "$T" analyze $c --help | grep -q "usage: trawl analyze $c" || { echo "FAIL help $c"; fails=$((fails + 1)); }
done
"$T" analyze frobnicate 2>/dev/null; check unknown 2 $?
[ "$fails" = 0 ] && echo "analyze: ok"
exit "$fails"
