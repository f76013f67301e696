#!/bin/sh
# infer.sh TRAWL -- `trawl infer` on real captures: the length field of
# Modbus/TCP found where it is, --json (types then one object per message),
# --struct cutting the concatenated payloads with `trawl frame packets` into
# the same messages, `trawl infer crc` on CRC-16/MODBUS frames, and errors
# with their line and column.
set -u
T=$1
tmp=${TMPDIR:-/tmp}/trawl-infer.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

mb=tests/data/modbus_test_data_part1.pcap
bn=tests/data/bacnet_test.pcap

"$T" infer "$mb" >"$tmp/table"; rc=$?
[ "$rc" = 0 ] || bad "table exit $rc"
# the MBAP length: offset 4, 2 bytes, big endian, counting from byte 6
grep -Eq '^ +4 +2 +length +be .*= length - 6\+0' "$tmp/table" && ok "modbus length field" \
    || { bad "modbus length field"; cat "$tmp/table"; }

"$T" infer --json "$mb" >"$tmp/json"; rc=$?
n=$(grep -c '^{"message":' "$tmp/json")
want=$("$T" frame pcap --payload --count "$mb")
[ "$rc" = 0 ] && [ "$n" = "$want" ] && ok "json: one object per message ($n)" \
    || bad "json messages: $n, want $want (rc=$rc)"
python3 - "$tmp/json" <<'PY' && ok "json: valid, bounds inside each message" || bad "json content"
import json, sys
types, msgs = {}, []
for line in open(sys.argv[1]):
    o = json.loads(line)
    if 'fields' in o:
        types[o['type']] = o
    else:
        msgs.append(o)
assert types and msgs
for m in msgs:
    assert m['type'] in types
    b = m['bounds']
    assert b == sorted(b) and all(0 < x < m['length'] for x in b), m
for t in types.values():
    offs = [f['offset'] for f in t['fields']]
    assert offs == sorted(offs) and offs[0] == 0
PY

# --struct: the header format cuts the byte stream into the same messages
s=$("$T" infer --struct "$bn"); rc=$?
[ "$rc" = 0 ] && [ "$s" = "--header '>2xH' --length-field 0 --adjust -4" ] && ok "struct: $s" \
    || bad "struct: '$s' rc=$rc"
"$T" frame pcap --payload --json "$bn" >"$tmp/p.json"
python3 - "$tmp/p.json" "$tmp/stream.bin" "$tmp/want" <<'PY'
import json, sys
vals = [json.loads(l)['value'] for l in open(sys.argv[1])]
open(sys.argv[2], 'wb').write(b''.join(bytes.fromhex(v) for v in vals))
open(sys.argv[3], 'w').write('\n'.join(vals) + '\n')
PY
eval "\"$T\" frame packets $s --json \"$tmp/stream.bin\"" >"$tmp/cut.json"; rc=$?
python3 -c "
import json,sys
data = open(sys.argv[2], 'rb').read()
offs = [json.loads(l)['offset'] for l in open(sys.argv[1])] + [len(data)]
print('\n'.join(data[a:b].hex() for a, b in zip(offs, offs[1:])))" "$tmp/cut.json" "$tmp/stream.bin" >"$tmp/got"
[ "$rc" = 0 ] && cmp -s "$tmp/got" "$tmp/want" && ok "struct cuts the stream into the same $(wc -l <"$tmp/want") messages" \
    || bad "struct cut differs (rc=$rc)"

# --frames: the units a framer cuts are the messages
n=$("$T" infer --json --frames "packets,header=>2xH,length-field=0,adjust=-4" "$tmp/stream.bin" | grep -c '^{"message":')
[ "$n" = 22 ] && ok "--frames packets: 22 messages" || bad "--frames: $n messages"

# infer crc: Modbus RTU-like frames with CRC-16/MODBUS, little endian, at the end
python3 - >"$tmp/rtu.hex" <<'PY'
import random
random.seed(3)
def crc(b):
    r = 0xFFFF
    for x in b:
        r ^= x
        for _ in range(8):
            r = (r >> 1) ^ 0xA001 if r & 1 else r >> 1
    return r
for i in range(10):
    m = bytes([1 + i % 3, 3]) + bytes(random.randrange(256) for _ in range(4 + i % 5))
    c = crc(m)
    print((m + bytes([c & 0xFF, c >> 8])).hex())
PY
out=$("$T" infer crc "$tmp/rtu.hex"); rc=$?
echo "$out" | grep -q '^crc width=16 poly=0x8005 init=0xffff refin=true refout=true xorout=0x0000$' \
    && echo "$out" | grep -q 'check value over "123456789": 0x4b37' && [ "$rc" = 0 ] \
    && ok "infer crc: CRC-16/MODBUS" || { bad "infer crc (rc=$rc)"; echo "$out"; }
out=$("$T" infer crc --at -2 --size 2 --le "$tmp/rtu.hex" --json); rc=$?
echo "$out" | grep -q '"check":"0x4b37"' && [ "$rc" = 0 ] && ok "infer crc --at --json" \
    || { bad "infer crc --at: $out"; }
printf '0102030405\n0102030406\n' >"$tmp/none.hex"
"$T" infer crc "$tmp/none.hex" >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] && ok "infer crc: nothing fits, exit 1" || bad "infer crc none: rc=$rc"

# infer stream: fixed records, then delimited messages, then random bytes
python3 - "$tmp" <<'PY'
import random, sys
random.seed(5)
d = sys.argv[1]
open(d + '/rec.bin', 'wb').write(b''.join(b'\x10\x20' + bytes([i & 255]) + bytes(random.randrange(256) for _ in range(14)) for i in range(400)))
open(d + '/lines.bin', 'wb').write(b''.join(b'id=%d;v=%d\r\n' % (i, random.randrange(10 ** random.randrange(1, 6))) for i in range(300)))
open(d + '/rnd.bin', 'wb').write(bytes(random.randrange(256) for _ in range(20000)))
PY
out=$("$T" infer stream "$tmp/rec.bin"); rc=$?
[ "$rc" = 0 ] && echo "$out" | grep -q 'record size 17 .*trawl frame records --size 17$' && ok "stream: record size 17" \
    || bad "stream records: rc=$rc $out"
out=$("$T" infer stream --json "$tmp/lines.bin"); rc=$?
[ "$rc" = 0 ] && echo "$out" | grep -q '"record_size":0,.*"delimiter":"0d0a","messages":300' && ok "stream: delimiter 0d0a" \
    || bad "stream lines: rc=$rc $out"
"$T" infer stream "$tmp/rnd.bin" >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] && ok "stream: random bytes, nothing (exit 1)" || bad "stream random: rc=$rc"

# errors name the line and column
printf '0a0b\nzz\n' >"$tmp/bad.hex"
err=$("$T" infer "$tmp/bad.hex" 2>&1); rc=$?
[ "$rc" = 2 ] && echo "$err" | grep -q 'line 2, column 1: expected hex digits' && ok "bad hex: line 2, column 1" \
    || bad "bad hex: rc=$rc $err"
printf '{"value":"0a"}\n{"nope":1}\n' >"$tmp/bad.json"
err=$("$T" infer "$tmp/bad.json" 2>&1); rc=$?
[ "$rc" = 2 ] && echo "$err" | grep -q 'line 2' && ok "bad json line" || bad "bad json: rc=$rc $err"
: >"$tmp/empty"
"$T" infer "$tmp/empty" >/dev/null 2>&1; rc=$?
[ "$rc" = 1 ] && ok "no messages: exit 1" || bad "empty: rc=$rc"
"$T" infer --max-types 0 "$mb" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && ok "bad option value: exit 2" || bad "bad option: rc=$rc"
exit $fail
