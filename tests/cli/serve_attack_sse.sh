#!/bin/sh
# serve_attack_sse.sh TRAWL -- /v1/events subscribers that never read, on an
# ephemeral loopback port (tests/cli/lib/attack.py):
# - 64 stalled subscribers from 127.0.0.2: 4 are admitted (the default
#   per-address limit), 60 get 429; a subscriber from 127.0.0.1 still gets
#   its stream at once (before: all 64 slots taken, 503);
# - a stalled subscriber whose socket stops draining (its 4 KiB receive
#   buffer full, 150 flagged requests = ~57 KB of events: less than its
#   64 KiB buffer, so it does not overflow) is dropped after --sse-drain-ms
#   and its connection closed, while a subscriber that reads keeps its
#   stream and gets every event;
# - subscribers that disconnect free their slots within a second or so.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
attack() { python3 "$(dirname "$0")/lib/attack.py" "$@"; }
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    { echo "SKIP: cannot bind 127.0.0.2"; exit 0; }

serve_start --listen 127.0.0.1:0 --threads 2 --sse-drain-ms 500 --sse-heartbeat-ms 300
attack sse --port "$port" --conns 64 --src 127.0.0.2 --settle 1 --probe-timeout 3 >"$dir/out"
cat "$dir/out"
check sse-per-address 'stalled admitted=4 refused={"429": 60}' "$(sed -n 1p "$dir/out")"
check sse-probe 200 "$(sed -n 's/^probe status=\([0-9]*\).*/\1/p' "$dir/out")"

# a stalled subscriber is dropped once its socket stops draining; a reader
# keeps its stream
sleep 1.5 # the 64 above have closed; their slots are free again
curl -s -N -m 20 "$base/v1/events" >"$dir/ev" &
cpid=$!
sleep 0.3
attack sse --port "$port" --conns 1 --src 127.0.0.3 --settle 0.5 --events 150 --hold 3 >"$dir/out"
cat "$dir/out"
check stalled-closed "stalled open_after_3s=0" "$(sed -n 3p "$dir/out")"
curl -s -m 10 "$base/v1/metrics" | python3 -c 'import json,sys; s=json.load(sys.stdin)["sse"]; print(s["dropped"], s["subscribers"])' >"$dir/m"
check stalled-dropped "1 1" "$(cat "$dir/m")"

# slots come back when subscribers disconnect
attack sse --port "$port" --conns 4 --src 127.0.0.4 --settle 0.5 --probe-timeout 1 >/dev/null
sleep 1.5
attack sse --port "$port" --conns 4 --src 127.0.0.4 --settle 0.5 --probe-timeout 1 >"$dir/out"
check slots-freed 'stalled admitted=4 refused={}' "$(sed -n 1p "$dir/out")"
kill -TERM "$pid"; wait "$pid"; pid=
wait "$cpid"
check reader-events 300 "$(grep -c '^event: threat$' "$dir/ev")"

# --sse-per-ip 1: the second stream from one address gets 429 with its JSON
serve_start --listen 127.0.0.1:0 --threads 2 --sse-per-ip 1
curl -s -N -m 5 "$base/v1/events" >/dev/null &
cpid=$!
sleep 0.3
check sse-429 '429 {"error":"rate_limited","message":"too many event streams from this address (limit 1)"}' \
    "$(curl -s -m 5 -o "$dir/b" -w '%{http_code}' "$base/v1/events"; printf ' %s' "$(cat "$dir/b")")"
kill -TERM "$pid"; wait "$pid"; pid=
wait "$cpid"

[ $fails -eq 0 ] && echo "serve_attack_sse: all passed"
exit $fails
