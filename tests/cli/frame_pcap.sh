#!/bin/sh
# frame_pcap.sh TRAWL -- `trawl frame pcap` on a real capture: the packet
# count and payload count Wireshark reports, a golden first payload, and a
# truncated capture (exit 3 with an error object).
set -u
T=$1
tmp=${TMPDIR:-/tmp}/trawl-frame-pcap.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
fail=0
cap=tests/data/bacnet_test.pcap

n=$("$T" frame pcap --count "$cap"); rc=$?
[ "$rc" = 0 ] && [ "$n" = 26 ] && echo "ok   count" || { echo "FAIL count: $n rc=$rc"; fail=1; }
n=$("$T" frame pcap --payload --count "$cap")
[ "$n" = 22 ] && echo "ok   payload count" || { echo "FAIL payload count: $n"; fail=1; }

first=$("$T" frame pcap --payload --json "$cap" | head -1)
want='{"index":2,"offset":140,"length":17,"ts":"1427822985.007800000","payload_offset":42,"proto":"udp","src_port":47808,"dst_port":47808,"truncated":false,"value":"810a001101040005010c0c023fffff194b"}'
[ "$first" = "$want" ] && echo "ok   first payload" || { echo "FAIL first payload: $first"; fail=1; }

head -c 170 "$cap" >"$tmp/cut.pcap"
"$T" frame pcap --json --no-data "$tmp/cut.pcap" >"$tmp/out"; rc=$?
last=$(tail -1 "$tmp/out")
case "$last" in
'{"error":"truncated-value","offset":140,"index":2,'*) [ "$rc" = 3 ] && echo "ok   truncated" ;;
*) echo "FAIL truncated: rc=$rc $last"; fail=1 ;;
esac
[ "$(wc -l <"$tmp/out")" = 3 ] || { echo "FAIL truncated: complete packets not all reported"; fail=1; }

printf 'not a capture' >"$tmp/junk"
"$T" frame pcap --json "$tmp/junk" >"$tmp/out"; rc=$?
grep -q '"error":"bad-capture","offset":0' "$tmp/out" && [ "$rc" = 3 ] && echo "ok   not a capture" \
    || { echo "FAIL not a capture: rc=$rc"; cat "$tmp/out"; fail=1; }
"$T" frame pcap - </dev/null >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] && echo "ok   pcap pipe refused" || { echo "FAIL pcap pipe: rc=$rc"; fail=1; }
exit $fail
