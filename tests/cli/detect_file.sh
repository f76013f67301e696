#!/bin/sh
# detect_file.sh TRAWL -- `trawl detect file PATH`: each finding is
# reported once (the file is judged as a file, not also as data); a file
# larger than the polymorphic detector's max_file_bytes is judged on what
# was read, says so (partial_read, no weight), and is not called malformed
# or given an overlay because its end was not read; a pipe is judged as
# data; a missing file is an error, not a clean verdict.
set -u
T=$1
. "$(dirname "$0")/lib/check.sh"
head -c 200000 /dev/urandom >"$dir/rnd.bin"
out=$("$T" detect --json file "$dir/rnd.bin"); rc=$?
check rnd-rc 1 "$rc"
check rnd-once 1 "$(printf '%s' "$out" | grep -o '"category":"high_entropy"' | wc -l)"
check rnd-no-data 0 "$(printf '%s' "$out" | grep -c '"data:')"
# the same bytes through a pipe: judged once, as data
out=$(cat "$dir/rnd.bin" | "$T" detect --json file -)
check pipe-once 1 "$(printf '%s' "$out" | grep -o '"category":"high_entropy"' | wc -l)"
"$T" detect file "$dir/missing" >/dev/null 2>&1; check missing-rc 2 $?

# a real ELF cut at 64 KiB: the section headers (at its end) were not read
elf=$(command -v cmake || command -v sh)
elf=$(readlink -f "$elf")
printf '[polymorphic]\nmax_file_bytes = 65536\n' >"$dir/cut.conf"
out=$("$T" detect --only polymorphic --config "$dir/cut.conf" --json file "$elf")
size=$(stat -c %s "$elf")
check cut-said 1 "$(printf '%s' "$out" | grep -c "only the first 65536 of $size bytes were judged")"
check cut-weight 1 "$(printf '%s' "$out" | grep -c '"category":"partial_read","severity":"low","confidence":0,')"
check cut-not-malformed 0 "$(printf '%s' "$out" | grep -c 'structure_anomaly\|"overlay"')"
out=$("$T" detect --only polymorphic --json file "$elf")
check whole-not-cut 0 "$(printf '%s' "$out" | grep -c partial_read)"

[ $fails -eq 0 ] && echo "detect_file: all checks passed"
exit $((fails > 0))
