#!/bin/sh
# scan_frames.sh TRAWL -- `trawl scan --frames`: pcap captures (a regular
# file) are scanned packet by packet and every hit names its packet index
# and the absolute file offset of its bytes; ",payload" scans TCP/UDP
# payloads with ^ at the payload's start; "value" in scan --frames packets
# is what `trawl frame packets` prints as value (the body after the
# header); a pipe is refused, not scanned as nothing.
set -u
T=$1
. "$(dirname "$0")/lib/check.sh"
cap=tests/data/modbus_test_data_part1.pcap

# Modbus/TCP payloads start with a transaction id and protocol id 0; with
# payload, ^ anchors at the payload, so the hits are the packets whose
# payload (as trawl frame prints it) starts so, each naming its packet
want=$("$T" frame pcap --payload --json "$cap" | grep '"value":"....0000' |
       sed 's/^{"index":\([0-9]*\),.*/\1/' | tr '\n' ' ')
got=$("$T" scan --json --frames pcap,payload -e '^..\x00\x00' "$cap" | sed 's/.*"record":\([0-9]*\),.*/\1/' | tr '\n' ' ')
check pcap-payload-records "$want" "$got"
# the offsets are the file's: the bytes there are the matched bytes
"$T" scan --json --frames pcap -e '\x00\x00\x00\x06' "$cap" | head -5 >"$dir/hits"
check pcap-hits 5 "$(wc -l <"$dir/hits")"
while IFS= read -r h; do
    off=$(printf '%s' "$h" | sed 's/.*"offset":\([0-9]*\),.*/\1/')
    data=$(printf '%s' "$h" | sed 's/.*"data":"\([0-9a-f]*\)".*/\1/')
    check "pcap-offset-$off" "$data" "$(od -An -tx1 -j "$off" -N 4 "$cap" | tr -d ' \n')"
done <"$dir/hits"
# text output names the record too
check pcap-text 1 "$("$T" scan --frames pcap -e '\x00\x00\x00\x06' "$cap" | head -1 | grep -c ' record [0-9]')"
# a pipe is refused
cat "$cap" | "$T" scan --frames pcap -e ab >/dev/null 2>"$dir/err"; rc=$?
check pcap-pipe-rc 2 "$rc"
check pcap-pipe-msg 1 "$(grep -c 'needs a regular file' "$dir/err")"

# packets: ^ anchors at the body, which is what frame packets calls value
printf '\000\002\252\273\000\003\252\273\314' >"$dir/pkt.bin"
check packets-value '"aabb" "aabbcc" ' \
    "$("$T" frame packets --header '>H' --length-field 0 --json "$dir/pkt.bin" | sed 's/.*"value":\("[0-9a-f]*"\).*/\1/' | tr '\n' ' ')"
check packets-anchor "2 6" \
    "$("$T" scan --json --frames 'packets,header=>H,length-field=0' -e '^\xAA\xBB' "$dir/pkt.bin" | sed 's/.*"offset":\([0-9]*\),.*/\1/' | tr '\n' ' ' | sed 's/ $//')"

[ $fails -eq 0 ] && echo "scan_frames: all checks passed"
exit $((fails > 0))
