#!/bin/sh
# infer_lua.sh TRAWL -- the Wireshark dissector that `trawl infer --lua`
# writes, loaded by Debian's tshark on the capture it came from: no Lua
# error, no malformed packet, every message of the service port dissected,
# and its fields at the offsets and sizes the inference gave its type (read
# from tshark's PDML).
set -u
T=$1
if ! command -v tshark >/dev/null 2>&1; then
    echo "skip: tshark not installed (scripts/deps.sh installs it)"
    exit 0
fi
tmp=${TMPDIR:-/tmp}/trawl-infer-lua.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail=0
for cap in tests/data/modbus_test_data_part1.pcap tests/data/bacnet_test.pcap; do
    name=$(basename "$cap" .pcap)
    "$T" infer --lua "$tmp/$name.lua" "$cap" || { echo "FAIL $name: --lua"; fail=1; continue; }
    "$T" infer --json "$cap" >"$tmp/$name.json"
    # tshark writes to a home directory of its own; keep it in tmp
    HOME=$tmp tshark -X "lua_script:$tmp/$name.lua" -r "$cap" -o tcp.desegment_tcp_streams:FALSE \
        -T pdml >"$tmp/$name.pdml" 2>"$tmp/$name.err"; rc=$?
    if [ "$rc" != 0 ] || grep -qi 'lua' "$tmp/$name.err"; then
        echo "FAIL $name: tshark rc=$rc"; cat "$tmp/$name.err"; fail=1; continue
    fi
    python3 - "$tmp/$name.pdml" "$tmp/$name.json" <<'PY' && echo "ok   $name: dissector loads, fields at the inferred offsets" || fail=1
import json, sys
import xml.etree.ElementTree as ET
types, frames = {}, {}
for line in open(sys.argv[2]):
    o = json.loads(line)
    if 'fields' in o:
        types[o['type']] = o
    else:
        frames[o['frame']] = o
ports = {t['port'] for t in types.values()}
seen = checked = 0
for ev, pkt in ET.iterparse(sys.argv[1]):
    if pkt.tag != 'packet':
        continue
    num = int(pkt.find("proto[@name='geninfo']/field[@name='num']").get('show'))
    for f in pkt.iter('field'):
        n = f.get('name', '')
        sn = (f.get('showname') or '') + (f.get('show') or '')
        if n.startswith('_ws.malformed') or n == '_ws.lua.error' or 'Lua Error' in sn:
            sys.exit('frame %d: %s %s' % (num, n, sn))
    protos = [p for p in pkt.findall('proto') if p.get('name', '').startswith('trawl_')]
    if num not in frames:
        assert not protos, 'frame %d has no payload but was dissected' % num
        pkt.clear()
        continue
    m = frames[num]
    assert len(protos) == 1, 'frame %d: %d trawl protocols' % (num, len(protos))
    seen += 1
    p = protos[0]
    start = int(p.get('pos'))
    assert int(p.get('size')) == m['length'], 'frame %d: size' % num
    t = types[m['type']]
    want = {}
    for fd in t['fields']:
        size = fd['size'] if fd['size'] is not None else m['length'] - fd['offset']
        if fd['offset'] + size <= m['length'] and size > 0:
            want[fd['offset']] = size
    got = {int(f.get('pos')) - start: int(f.get('size')) for f in p.findall('field')}
    assert got == want, 'frame %d: fields %s, inferred %s' % (num, sorted(got.items()), sorted(want.items()))
    checked += len(got)
    pkt.clear()
assert seen == len(frames), 'dissected %d of %d messages' % (seen, len(frames))
print('   %d messages, %d fields checked' % (seen, checked))
PY
done
exit $fail
