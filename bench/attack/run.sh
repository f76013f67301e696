#!/bin/sh
# run.sh TRAWL [SECONDS] -- `make attack`: the hostile clients and inputs
# of issue 19 at the issue's sizes, against `trawl serve` on 127.0.0.1 and
# the CLI, printing what the closing note asks for: served/total for a
# probe client, the server's RSS before/after, times. Attackers connect
# from 127.0.0.2 (Linux routes 127/8 to lo) so the per-address limit can
# tell them from the probe; every loop is bounded (SECONDS per hold point,
# default 45). Run it against an older binary to see the "before" figures
# (points whose flags that binary lacks are skipped with a note).
set -u
T=$1
SECS=${2:-45}
A="$(cd "$(dirname "$0")/../.." && pwd)/tests/cli/lib/attack.py"
PEAK="$(dirname "$A")/peak.py"
dir=$(mktemp -d)
pid=
stop() {
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
}
trap 'stop; rm -rf "$dir"' EXIT
start() { # serve options...
    rm -f "$dir/err"
    "$T" serve --listen 127.0.0.1:0 --threads 2 "$@" 2>"$dir/err" &
    pid=$!
    i=0
    while ! grep -q '^listening on' "$dir/err" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 1200 ] || ! kill -0 "$pid" 2>/dev/null; then
            echo "  (server did not start: $(head -c 200 "$dir/err"))"; pid=; return 1
        fi
        sleep 0.05
    done
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/err")
}
indent() { sed 's/^/  /'; }
digest() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
ulimit -n 20000 2>/dev/null || true

echo "trawl attack run: $T, ${SECS}s per hold point, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "1. unauthenticated memory: 1000 keyless connections x (1 MiB - 1) of body (--max-per-ip 0)"
printf 'ops sha256:%s\n' "$(digest alpha-key)" >"$dir/keys"
if start --api-keys "$dir/keys" --max-per-ip 0; then
    python3 "$A" bodyhold --port "$port" --pid "$pid" --conns 1000 --size 1048575 --seconds 60 | indent
    stop
fi

echo "2a. slowloris: 1500 connections from one address, 1 header byte/s, reconnecting; probe from another"
if start; then
    python3 "$A" hold --port "$port" --pid "$pid" --conns 1500 --trickle --reconnect --seconds "$SECS" --ramp 3 | indent
    stop
fi
echo "2b. 5000 idle connections from one address; probe from another"
if start; then
    python3 "$A" hold --port "$port" --pid "$pid" --conns 5000 --seconds "$SECS" --ramp 5 | indent
    stop
fi

echo "3. 64 /v1/events subscribers that never read, from one address; a subscriber from another"
if start --sse-drain-ms 2000 --sse-heartbeat-ms 500; then
    python3 "$A" sse --port "$port" --conns 64 --settle 1 --probe-timeout 30 | indent
    echo "  one stalled subscriber, 150 flagged requests (--sse-drain-ms 2000):"
    python3 "$A" sse --port "$port" --conns 1 --src 127.0.0.3 --settle 0.5 --events 150 --hold 4 | indent
    curl -s "http://127.0.0.1:$port/v1/metrics" | python3 -c 'import json,sys; print("  sse", json.load(sys.stdin)["sse"])'
    stop
fi

echo "4. request smuggling probes (statuses answered on one connection, closed or not)"
if start; then
    python3 "$A" smuggle --port "$port" --wait 3 | indent
    stop
fi

echo "5. /v1/scan of 1 MiB of zeros, one-byte rule: once, then 16 at once"
printf 'zero: \\x00\n' >"$dir/zero.rules"
if start --rules zero="$dir/zero.rules"; then
    python3 "$A" scan --port "$port" --pid "$pid" --size 1048576 --conc 1 | indent
    python3 "$A" scan --port "$port" --pid "$pid" --size 1048576 --conc 16 | indent
    stop
fi

echo "7. SIGTERM with an upload in flight: a new connection"
if start; then
    python3 "$A" drain --port "$port" --pid "$pid" --wait 12 | indent
    wait "$pid" 2>/dev/null
    pid=
fi

echo "8. trawl fuzzy -p <64 zero bytes> -k 63 --count over zeros"
P=$(printf '00%.0s' $(seq 64))
for n in 100000 400000 1000000; do
    head -c "$n" /dev/zero >"$dir/z"
    printf '  %7d bytes: ' "$n"
    python3 "$PEAK" --limit-s 120 "$T" fuzzy -p "$P" -k 63 --count "$dir/z" 2>&1 >/dev/null | tail -n1
done

echo "9. trawl scan -r /dev/zero (60 s at most)"
printf '  '
python3 "$PEAK" --limit-s 60 "$T" scan -r /dev/zero "$dir/z" 2>&1 | tr '\n' ' '
echo

echo "10. patterns past the complexity limits (60 s at most each)"
printf '  1000 x .* : '
python3 "$PEAK" --limit-s 60 "$T" scan -e "A$(printf '.*%.0s' $(seq 1000))B" "$dir/z" 2>&1 | tr '\n' ' '
echo
python3 -c '
for i in range(100000): print("r%d: .{0,50}x%d.{0,50}" % (i, i))' >"$dir/set.rules"
printf '  100k rules .{0,50}xN.{0,50} : '
python3 "$PEAK" --limit-s 60 "$T" scan -r "$dir/set.rules" "$dir/z" 2>&1 | tr '\n' ' '
echo

SIM_LIMIT=${SIMILAR_SECONDS:-300}
echo "12. trawl similar -L 16 -k 1 over 50 MB (${SIM_LIMIT} s at most each)"
head -c 52428800 /dev/urandom >"$dir/r50"
head -c 52428800 /dev/zero >"$dir/z50"
for f in r50 z50; do
    printf '  %s: ' "$f"
    python3 "$PEAK" --limit-s "$SIM_LIMIT" "$T" similar -L 16 -k 1 "$dir/$f" 2>&1 >/dev/null | tr '\n' ' '
    echo
done
