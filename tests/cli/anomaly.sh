#!/bin/sh
# anomaly.sh -- `trawl anomaly` end to end: a numeric series learned, saved,
# reloaded and tested (a spike found at its row, clean data exits 1); the
# baseline statistics against NumPy (mean, sample std, median, MAD, linear
# quartiles); a real capture against its own baseline (nothing, exit 1) and
# with an SVG timeline; framed messages with an unseen value; online mode
# with warm-up; errors with line and column (exit 2).
T=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { # name expected actual
    if [ "$2" != "$3" ]; then
        echo "FAIL $1"; echo "  want: $2"; echo "  got:  $3"; fails=$((fails + 1))
    fi
}
has() {
    if ! grep -q -- "$2" "$3"; then
        echo "FAIL $1: no line matches $2 in"; head -20 "$3"; fails=$((fails + 1))
    fi
}

# a deterministic series: a daily-ish wave plus an LCG's noise
gen() { # rows seed spike_row
    awk -v n="$1" -v s="$2" -v spike="$3" 'BEGIN { print "time,temp"; x = s
        for (i = 0; i < n; i++) { x = (x * 1103515245 + 12345) % 2147483648
            v = 20 + 2 * sin(i / 10) + (x / 2147483648 - 0.5); if (i == spike) v += 15
            printf "%d,%.4f\n", i * 60, v } }'
}
gen 500 7 -1 >"$dir/base.csv"
gen 100 8 30 >"$dir/spike.csv"
gen 100 9 -1 >"$dir/clean.csv"

"$T" anomaly --series --time time --learn "$dir/base.bl" "$dir/base.csv"
check "learn exit" 0 $?
has "baseline header" '^trawl-anomaly-baseline 1$' "$dir/base.bl"
"$T" anomaly --series --time time --methods zscore,mzscore,iqr --baseline "$dir/base.bl" --json "$dir/spike.csv" >"$dir/spike.json"
check "spike exit" 0 $?
has "spike z" '"method":"zscore","what":"outlier-high","channel":"series temp","time":1800.000000000,"index":30' "$dir/spike.json"
has "spike mz" '"method":"mzscore","what":"outlier-high".*"index":30' "$dir/spike.json"
has "spike iqr" '"method":"iqr","what":"outlier-high".*"index":30' "$dir/spike.json"
check "spike only" 3 "$(wc -l <"$dir/spike.json" | tr -d ' ')"
"$T" anomaly --series --time time --methods zscore,mzscore,iqr --baseline "$dir/base.bl" "$dir/clean.csv" >"$dir/clean.txt"
check "clean exit" 1 $?
check "clean output" "" "$(cat "$dir/clean.txt")"

# statistics against NumPy
"$T" anomaly --series --time time --stats --train "$dir/base.csv" "$dir/clean.csv" >"$dir/stats.txt"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    /usr/bin/python3 - "$dir/base.csv" "$dir/stats.txt" <<'PY' || fails=$((fails + 1))
import sys, numpy as np
x = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)[:, 1]
med = np.median(x)
want = [x.mean(), x.std(ddof=1), med, np.median(np.abs(x - med)),
        np.percentile(x, 25), np.percentile(x, 75)]
row = [l for l in open(sys.argv[2]) if l.startswith("series temp")][0].split()
got = [float(v) for v in row[-6:]]
for w, g, name in zip(want, got, ["mean", "std", "median", "MAD", "Q1", "Q3"]):
    if abs(w - g) > 1e-5 * max(1, abs(w)):
        print("FAIL numpy %s: want %.9g got %.9g" % (name, w, g)); sys.exit(1)
PY
else
    echo "SKIP NumPy oracle: Debian's python3-numpy is not installed"
fi

# a real capture against its own baseline: nothing; the SVG has no marks
C=tests/data/anomaly/s7comm_reading_plc_status.pcap
"$T" anomaly --learn "$dir/s7.bl" "$C"
check "pcap learn" 0 $?
"$T" anomaly --baseline "$dir/s7.bl" --svg "$dir/self.svg" "$C" >"$dir/self.txt"
check "pcap self exit" 1 $?
has "svg" '^<svg xmlns' "$dir/self.svg"
check "svg marks" 0 "$(grep -c '<circle' "$dir/self.svg")"
# against another capture of the same service: things are reported, and
# the SVG has one mark per anomaly
"$T" anomaly --train tests/data/anomaly/s7comm_reading_plc_status.pcap --json \
    --svg "$dir/other.svg" ../shared/data/pcap/s7comm_downloading_block_db1.pcap >"$dir/other.json" 2>/dev/null
if [ -s "$dir/other.json" ]; then
    check "svg marks equal anomalies" "$(wc -l <"$dir/other.json" | tr -d ' ')" "$(grep -c '<circle' "$dir/other.svg")"
    has "explained" '"value":.*"baseline":.*"threshold":.*"detail":' "$dir/other.json"
    # the capture through a pipe, tested as it streams in: the same lines
    cat ../shared/data/pcap/s7comm_downloading_block_db1.pcap |
        "$T" anomaly --baseline "$dir/s7.bl" --json - >"$dir/piped.json"
    "$T" anomaly --baseline "$dir/s7.bl" --json ../shared/data/pcap/s7comm_downloading_block_db1.pcap >"$dir/file.json"
    check "pipe equals file" "$(cat "$dir/file.json")" "$(cat "$dir/piped.json")"
else
    echo "SKIP capture comparison: ../shared/data/pcap absent"
fi

# framed messages: TLV records whose type 9 was never seen
tlv() { for t in "$@"; do printf "\\$(printf '%03o' "$t")\\002ab"; done; }
for i in $(seq 1 40); do tlv 1 2; done >"$dir/base.tlv"
{ for i in $(seq 1 5); do tlv 1 2; done; tlv 9; tlv 1; } >"$dir/test.tlv"
"$T" anomaly --frames tlv --columns --train "$dir/base.tlv" "$dir/test.tlv" >"$dir/tlv.txt"
check "tlv exit" 0 $?
has "tlv unseen" ' #10 .*unseen' "$dir/tlv.txt"

# online: the first 30 samples are only learned, then the spike is found
gen 100 8 60 >"$dir/online.csv"
"$T" anomaly --series --time time --online --methods mzscore --json "$dir/online.csv" >"$dir/online.json"
check "online exit" 0 $?
has "online spike" '"index":60' "$dir/online.json"

# errors
"$T" anomaly "$dir/base.csv" 2>"$dir/err"
check "no mode" 2 $?
printf 'trawl-anomaly-baseline 1\nparams 511 3 3.5 1.5 0.2 3 0.5 5 1 8 16 0 64\nchan 0 5 x\n' >"$dir/bad.bl"
"$T" anomaly --series --baseline "$dir/bad.bl" "$dir/clean.csv" 2>"$dir/err"
check "bad baseline exit" 2 $?
has "bad baseline where" 'line 3, column 10' "$dir/err"
printf 'time,temp\n0,1\n60,hot\n' >"$dir/bad.csv"
"$T" anomaly --series --time time --online "$dir/bad.csv" 2>"$dir/err"
check "bad csv exit" 2 $?
has "bad csv where" 'line 3, column 4' "$dir/err"
"$T" anomaly --series --methods zscore,nope --online "$dir/bad.csv" 2>"$dir/err"
check "bad method exit" 2 $?
has "bad method where" 'column 8' "$dir/err"
"$T" anomaly --help | grep -q '^usage: trawl anomaly'
check "help" 0 $?

[ $fails -eq 0 ] || exit 1
echo "anomaly: ok"
