#!/bin/sh
# frame_basic.sh TRAWL -- golden output and exit codes of `trawl frame`:
# each kind on a file and on a pipe, malformed input (exit 3 after every
# complete unit and an error object), resync, --count, usage errors (exit 2).
set -u
T=$1
tmp=${TMPDIR:-/tmp}/trawl-frame-cli.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail=0

# check NAME WANT_RC EXPECTED_FILE -- CMD...: runs CMD, compares stdout and rc
check() {
    name=$1 want=$2 exp=$3
    shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, want $want"; cat "$tmp/err"; fail=1; return
    fi
    if ! cmp -s "$tmp/out" "$exp"; then
        echo "FAIL $name: output differs"; diff "$exp" "$tmp/out"; fail=1; return
    fi
    echo "ok   $name"
}

printf '\001\004\252\273\314\335\002\002\021' >"$tmp/tlv.bin"
cat >"$tmp/want" <<'X'
{"index":0,"offset":0,"type":1,"depth":0,"container":false,"length":4,"value":"aabbccdd"}
{"error":"truncated-value","offset":6,"index":1}
X
check tlv-truncated-json 3 "$tmp/want" -- "$T" frame tlv --json "$tmp/tlv.bin"
check tlv-truncated-pipe 3 "$tmp/want" -- sh -c "cat '$tmp/tlv.bin' | '$T' frame tlv --json -"

cat >"$tmp/want" <<'X'
       0          0        4 type=0x1 depth=0 aabbccdd
error truncated-value at offset 6, index 1: input ends inside a value
X
check tlv-truncated-text 3 "$tmp/want" -- "$T" frame tlv "$tmp/tlv.bin"

# 16-bit little-endian types and lengths, length including the header
printf '\001\000\006\000\252\273\002\000\004\000' >"$tmp/tlv16.bin"
cat >"$tmp/want" <<'X'
{"index":0,"offset":0,"type":1,"depth":0,"container":false,"length":2}
{"index":1,"offset":6,"type":2,"depth":0,"container":false,"length":0}
X
check tlv-16-le-incl 0 "$tmp/want" -- "$T" frame tlv --type-size 2 --length-size 2 \
    --little-endian --length-includes-header --no-data --json "$tmp/tlv16.bin"

# nested containers
printf '\060\005\001\001\141\002\000\005\001\170' >"$tmp/nest.bin"
cat >"$tmp/want" <<'X'
       0          0        5 type=0x30 depth=0 container 0101610200
       1          2        1 type=0x1 depth=1 61
       2          5        0 type=0x2 depth=1
       3          7        1 type=0x5 depth=0 78
X
check tlv-nested 0 "$tmp/want" -- "$T" frame tlv --containers 0x30 "$tmp/nest.bin"

# resync: bytes that decode as nothing are skipped and counted
printf '\001\001\252\011\011\011\020\001\273' >"$tmp/resync.bin"
cat >"$tmp/want" <<'X'
{"index":0,"offset":0,"type":1,"depth":0,"container":false,"length":1,"value":"aa"}
{"error":"record-too-large","offset":3,"index":1,"skipped":3}
{"index":1,"offset":6,"type":16,"depth":0,"container":false,"length":1,"value":"bb"}
X
check tlv-resync 3 "$tmp/want" -- "$T" frame tlv --max-size 4 --resync --json "$tmp/resync.bin"

printf '{"count":1,"errors":1}\n' >"$tmp/want0"
printf '{"error":"truncated-value","offset":6,"index":1}\n' >"$tmp/want"
cat "$tmp/want0" >>"$tmp/want"
check tlv-count 3 "$tmp/want" -- "$T" frame tlv --count --json "$tmp/tlv.bin"

printf 'ABCDEFGHIJ' >"$tmp/rec.bin"
cat >"$tmp/want" <<'X'
       0          0        4 41424344
       1          4        4 45464748
error short-tail at offset 8, index 2: input ends with a partial fixed-size record
X
check records-short-tail 3 "$tmp/want" -- "$T" frame records --size 4 "$tmp/rec.bin"

# "value" is the body after the header, as in `scan --frames packets`
# (the header is printed decoded); "offset" is where the packet starts
printf '\000\002\252\273\000\000\000\011' >"$tmp/pkt.bin"
cat >"$tmp/want" <<'X'
{"index":0,"offset":0,"length":2,"header":[2],"value":"aabb"}
{"index":1,"offset":4,"length":0,"header":[0],"value":""}
{"error":"truncated-value","offset":6,"index":2}
X
check packets-truncated 3 "$tmp/want" -- "$T" frame packets --header '>H' --length-field 0 \
    --json "$tmp/pkt.bin"

printf 'ab\r\ncd\r\nef' >"$tmp/lines.txt"
cat >"$tmp/want" <<'X'
{"index":0,"offset":0,"length":2,"terminated":true,"value":"6162"}
{"index":1,"offset":4,"length":2,"terminated":true,"value":"6364"}
{"index":2,"offset":8,"length":2,"terminated":false,"value":"6566"}
X
check lines-crlf 0 "$tmp/want" -- "$T" frame lines --delimiter 0d0a --json "$tmp/lines.txt"
check lines-crlf-pipe 0 "$tmp/want" -- sh -c "'$T' frame lines --delimiter 0d0a --json - < '$tmp/lines.txt'"

printf 'a|bbbbbb|c' >"$tmp/big.txt"
cat >"$tmp/want" <<'X'
       0          0        1 61
error record-too-large at offset 2, index 1: record larger than the maximum size
X
check lines-oversized 3 "$tmp/want" -- "$T" frame lines --delimiter 7c --max-size 3 "$tmp/big.txt"

: >"$tmp/empty"
check tlv-empty 0 "$tmp/empty" -- "$T" frame tlv "$tmp/empty"

# a pipe (streaming reader) prints exactly what a mapped file (iterator)
# prints, on real bytes that are not TLV at all, in both modes
for mode in "" --resync; do
    for kind in "tlv --length-size 2" "packets --header <BH --length-field 1" \
        "lines --delimiter 0000" "records --size 7"; do
        "$T" frame $kind $mode --json tests/data/modbus_test_data_part1.pcap >"$tmp/file.out"
        rc1=$?
        "$T" frame $kind $mode --json - <tests/data/modbus_test_data_part1.pcap >"$tmp/pipe.out"
        rc2=$?
        if [ "$rc1" = "$rc2" ] && cmp -s "$tmp/file.out" "$tmp/pipe.out"; then
            echo "ok   pipe == file: $kind $mode"
        else
            echo "FAIL pipe != file: $kind $mode (exit $rc1 vs $rc2)"; fail=1
        fi
    done
done

# usage errors: exit 2, nothing on stdout
check usage-no-kind 2 "$tmp/empty" -- "$T" frame
check usage-bad-kind 2 "$tmp/empty" -- "$T" frame blocks x
check usage-bad-option 2 "$tmp/empty" -- "$T" frame tlv --type-size 3 "$tmp/tlv.bin"
check usage-wrong-kind 2 "$tmp/empty" -- "$T" frame records --header '>H' "$tmp/tlv.bin"
check usage-no-size 2 "$tmp/empty" -- "$T" frame records "$tmp/tlv.bin"
check usage-bad-format 2 "$tmp/empty" -- "$T" frame packets --header '>Hz' --length-field 0 "$tmp/tlv.bin"
check usage-missing-file 2 "$tmp/empty" -- "$T" frame tlv "$tmp/does-not-exist"
"$T" frame --help >"$tmp/help" 2>&1 && grep -q -- '--length-includes-header' "$tmp/help" \
    && echo "ok   help" || { echo "FAIL help"; fail=1; }

exit $fail
