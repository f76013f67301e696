#!/bin/sh
# scan.sh TRAWL -- the `trawl scan` contract: output shapes, exit codes,
# error messages naming pattern and column, stdin and streaming.
set -u
T=$1
. "$(dirname "$0")/lib/check.sh"
printf 'xx\252\125\001\002zz\252\125\003\004' >"$dir/s.bin"

out=$("$T" scan --json -e '\xAA\x55..' -e zz "$dir/s.bin"); rc=$?
check json-rc 0 "$rc"
check json "{\"file\":\"$dir/s.bin\",\"offset\":2,\"length\":4,\"pattern\":0,\"data\":\"aa550102\"}
{\"file\":\"$dir/s.bin\",\"offset\":6,\"length\":2,\"pattern\":1,\"data\":\"7a7a\"}
{\"file\":\"$dir/s.bin\",\"offset\":8,\"length\":4,\"pattern\":0,\"data\":\"aa550304\"}" "$out"

out=$("$T" scan -e '\xAA\x55' "$dir/s.bin")
check text "$dir/s.bin:2          len 2      0                aa55
$dir/s.bin:8          len 2      0                aa55" "$out"

out=$(cat "$dir/s.bin" | "$T" scan -c -e '\xAA\x55'); rc=$?
check stdin-count "2" "$out"
check stdin-rc 0 "$rc"
out=$(cat "$dir/s.bin" | "$T" scan --json -e '\xAA\x55' -); 
check stdin-name 2 "$(echo "$out" | grep -c '"file":"(stdin)"')"

out=$("$T" scan -e 'qq' "$dir/s.bin"); rc=$?
check none-rc 1 "$rc"
check none-out "" "$out"

err=$("$T" scan -e ab -e '\xAA[\x55' "$dir/s.bin" 2>&1 >/dev/null); rc=$?
check bad-rc 2 "$rc"
check bad-msg "trawl scan: pattern 1, column 5: missing ']' to close the class opened here" "$err"

printf 'ok: ab\nbad: a(b\n' >"$dir/r.rules"
err=$("$T" scan -r "$dir/r.rules" "$dir/s.bin" 2>&1 >/dev/null); rc=$?
check rules-rc 2 "$rc"
check rules-msg "trawl scan: $dir/r.rules, line 2, column 7: missing ')' to close the group opened here" "$err"

printf 'sync: \\xAA\\x55\nzz/lit: zz\n' >"$dir/g.rules"
out=$("$T" scan --json --no-data -r "$dir/g.rules" "$dir/s.bin")
check rules-names 2 "$(echo "$out" | grep -c '"pattern":"sync"')"
check no-data 0 "$(echo "$out" | grep -c '"data"')"

"$T" scan -r "$dir/g.rules" --save "$dir/db.trawl" 2>/dev/null
out=$("$T" scan -c -d "$dir/db.trawl" "$dir/s.bin")
check saved-db 3 "$out"
printf 'garbage' >"$dir/bad.trawl"
err=$("$T" scan -d "$dir/bad.trawl" "$dir/s.bin" 2>&1); rc=$?
check bad-db-rc 2 "$rc"

out=$("$T" scan -c --overlap -e '\xAA\xAA' - <<EOF2
$(printf '\252\252\252')
EOF2
)
check overlap 2 "$out"

"$T" scan -e ab "$dir/missing" 2>/dev/null; rc=$?
check missing-file-rc 2 "$rc"
"$T" scan 2>/dev/null; rc=$?
check no-pattern-rc 2 "$rc"
"$T" scan --help | grep -q 'usage: trawl scan'; rc=$?
check help 0 "$rc"
"$T" scan --bogus 2>/dev/null; rc=$?
check bad-flag-rc 2 "$rc"

# --frames: each TLV value is scanned alone (so 'ab..c' running over a
# header into the next record is not a match), offsets stay absolute, the
# record index is given
printf '\001\002ab\001\002cx\001\005abxyc' >"$dir/t.tlv"
out=$("$T" scan --json --no-data --frames tlv -e 'ab..c' "$dir/t.tlv"); rc=$?
check frames-rc 0 "$rc"
check frames "{\"file\":\"$dir/t.tlv\",\"offset\":10,\"length\":5,\"record\":2,\"pattern\":0}" "$out"
check frames-unframed 2 "$("$T" scan -c -e 'ab..c' "$dir/t.tlv")"
printf '\001\003abc\002\011xa' >"$dir/bad.tlv"
err=$("$T" scan --frames tlv -e abc "$dir/bad.tlv" 2>&1 >/dev/null); rc=$?
check frames-bad-rc 2 "$rc"
check frames-bad-msg "trawl scan: $dir/bad.tlv: record 1 at offset 5: truncated-value" "$err"
"$T" scan --frames tlv,bogus-option -e abc "$dir/t.tlv" 2>/dev/null; rc=$?
check frames-bad-spec 2 "$rc"

echo "cli scan: $fails failed"
[ "$fails" = 0 ]
