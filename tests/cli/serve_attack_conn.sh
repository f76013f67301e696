#!/bin/sh
# serve_attack_conn.sh TRAWL -- hostile connections against `trawl serve`
# with its default limits, on an ephemeral loopback port. The attacker
# connects from 127.0.0.2, the probe client from 127.0.0.1 (Linux routes
# all of 127/8 to lo), so the per-address limit can tell them apart.
# (tests/cli/lib/attack.py; bench/attack/ runs the issue's sizes.)
# - slowloris: 300 connections trickling header bytes, reconnecting when
#   closed: every probe request is served, the attacker holds at most 64
#   (the default per-address limit), and each trickling connection is closed
#   by the header deadline (--header-timeout 2 here);
# - 300 idle connections: the probe is served, the attacker holds 64;
# - one connection's headers at 5 bytes/s: closed after ~2 s; a body at
#   100 bytes/s (--body-min-rate 1000): closed; a body at 4000 bytes/s:
#   answered 200; the metrics count each kind;
# - SIGTERM with an upload in flight: new connections are refused at once.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
attack() { python3 "$(dirname "$0")/lib/attack.py" "$@"; }
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    { echo "SKIP: cannot bind 127.0.0.2"; exit 0; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2" | head -1; }

serve_start --listen 127.0.0.1:0 --threads 2 --header-timeout 2 --body-min-rate 1000

# slowloris from one address, reconnecting
attack hold --port "$port" --pid "$pid" --conns 300 --trickle --reconnect --seconds 8 --ramp 2 \
    --probe-every 0.25 >"$dir/out"
cat "$dir/out"
check slowloris-probe "probe_ok=yes" "$(grep probe_ok "$dir/out")"
check slowloris-held "yes" "$(le "$(field held_at_end "$dir/out")" 64 && echo yes)"
max=$(sed -n 's/.*lifetime_s p50=[0-9.na]* max=\([0-9.]*\).*/\1/p' "$dir/out")
check slowloris-deadline "yes" "$(le "$max" 3.5 && echo yes || echo "no: $max s")"

# idle connections from one address
attack hold --port "$port" --pid "$pid" --conns 300 --seconds 4 --ramp 1 >"$dir/out"
cat "$dir/out"
check idle-probe "probe_ok=yes" "$(grep probe_ok "$dir/out")"
check idle-held "yes" "$(le "$(field held_at_end "$dir/out")" 64 && echo yes)"
sleep 0.5

# one slow connection at a time: header deadline, body rate
attack slow --port "$port" --head-rate 5 --seconds 10 >"$dir/out"
check slow-headers "closed yes" "$(sed -n 's/outcome=\([a-z]*\).*/\1/p' "$dir/out") $(le "$(field after_s "$dir/out")" 3.5 && echo yes)"
attack slow --port "$port" --size 100000 --body-rate 100 --seconds 10 >"$dir/out"
check slow-body "closed yes" "$(sed -n 's/outcome=\([a-z]*\).*/\1/p' "$dir/out") $(le "$(field after_s "$dir/out")" 3.5 && echo yes)"
attack slow --port "$port" --size 12000 --body-rate 4000 --seconds 10 >"$dir/out"
check steady-body "outcome=answered:200" "$(cut -d' ' -f1 "$dir/out")"

curl -s -m 10 "$base/v1/metrics" | python3 -c 'import json,sys; c=json.load(sys.stdin)["connections"]; print(c["refused_per_address"] > 0, c["closed_header_deadline"] >= 2, c["closed_body_rate"] >= 1)' >"$dir/m"
check metrics "True True True" "$(cat "$dir/m")"
check prom-refused yes "$(curl -s -m 10 "$base/metrics" | grep -q '^trawl_connections_refused_total{reason="per_address"} [1-9]' && echo yes)"
kill -TERM "$pid"; wait "$pid"; pid=

# --max-per-ip 0 turns the limit off: 100 idle connections from one address
# are all held
serve_start --listen 127.0.0.1:0 --threads 2 --max-per-ip 0
attack hold --port "$port" --pid "$pid" --conns 100 --seconds 3 --ramp 1 >"$dir/out"
check per-ip-off "held_at_end=100" "$(grep -o 'held_at_end=[0-9]*' "$dir/out")"
kill -TERM "$pid"; wait "$pid"; pid=

# SIGTERM with an upload in flight: a new connection is refused at once
# (before: the kernel accepted it and it hung until the drain ended, 10 s),
# the upload still completes
serve_start --listen 127.0.0.1:0 --threads 2
attack drain --port "$port" --pid "$pid" --wait 3 >"$dir/out"
cat "$dir/out"
check drain-refused "new_connection=refused" "$(sed -n 's/ in_ms=.*//p' "$dir/out")"
check drain-upload "upload_status=200" "$(sed -n 2p "$dir/out")"
wait "$pid"; rc=$?; pid=
check drain-rc 0 "$rc"

[ $fails -eq 0 ] && echo "serve_attack_conn: all passed"
exit $fails
