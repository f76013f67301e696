#!/bin/sh
# inputs_hostile.sh TRAWL -- FIFOs, directories and devices as inputs
# (issue 19 items 11 and 13). Every run is under timeout: a hang shows as
# exit 124.
# - a FIFO whose writer is done: `trawl detect file` reads it once and ends
#   (before: the polymorphic detector reopened the path with a blocking
#   fopen and waited forever);
# - a FIFO that no writer has open: every command ends at once (before:
#   `trawl detect pcap` and every other blocking open waited forever), as
#   does {"files":[FIFO]} in an input object (named files must be regular:
#   the detectors skip it);
# - a directory: exit 2 and "PATH: ..." from every command (before: `trawl
#   frame pcap /tmp` exited 3 saying nothing).
set -u
T=$1
. "$(dirname "$0")/lib/check.sh"
rc() { timeout 10 "$T" "$@" >/dev/null 2>"$dir/e"; echo $?; }
mkfifo "$dir/fifo" || { echo "SKIP: mkfifo failed"; exit 0; }

# a FIFO read once by the command line, its writer gone
(printf 'MZ\220\000this is a small file' >"$dir/fifo") &
sleep 0.2
check fifo-written "0" "$(rc detect file "$dir/fifo")"
wait
# no writer at all
check fifo-detect-file "0" "$(rc detect file "$dir/fifo")"
check fifo-detect-pcap "2" "$(rc detect pcap "$dir/fifo")"
printf '{"files":["%s"],"pcaps":[]}' "$dir/fifo" >"$dir/in.json"
check fifo-input-files "0" "$(rc detect "$dir/in.json")"
check fifo-scan "1" "$(rc scan -e ab "$dir/fifo")"
check fifo-frame "0" "$(rc frame tlv "$dir/fifo")"
check fifo-fuzzy "1" "$(rc fuzzy -p aabb -k 1 "$dir/fifo")"
check fifo-similar "1" "$(rc similar -L 4 -k 1 "$dir/fifo")"
check fifo-infer "1" "$(rc infer "$dir/fifo")"

# a directory: exit 2, the path and the reason, from every command
d="$dir/sub"
mkdir "$d"
for c in "frame pcap" "frame tlv" "scan -e ab" "fuzzy -p aabb -k 1" "similar -L 4 -k 1" \
         "detect file" "detect pcap" "infer"; do
    # shellcheck disable=SC2086
    r=$(rc $c "$d")
    check "dir-$c" "2 yes" "$r $(grep -q "$d.*: [A-Za-z]" "$dir/e" && echo yes || cat "$dir/e")"
done
check dir-rules "2" "$(rc scan -r "$d" "$dir/in.json")"
check devnull-pcap "2 trawl frame: /dev/null: not a regular file or FIFO" "$(rc frame pcap /dev/null) $(cat "$dir/e")"

[ $fails -eq 0 ] && echo "inputs_hostile: all passed"
exit $fails
