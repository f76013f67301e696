#!/bin/sh
# serve_dashboard.sh TRAWL -- GET /dashboard and event replay over real HTTP
# on an ephemeral loopback port: off unless --dashboard (404); the page, its
# script, style and chart library served from the binary with a
# Content-Security-Policy that allows only this origin; /dashboard/api/stats
# counts threats, categories and clients; /v1/events replays what a client
# missed after its Last-Event-ID, names overwritten events with a gap
# record, and does not repeat replayed events live; with API keys the
# dashboard answers 401 with a Basic challenge and takes the key as the
# Basic password.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
threat() { # KEYARGS...: posts a shadow_ai threat
    curl -s -m 10 -o /dev/null "$@" -d '{"urls":["https://api.openai.com/v1/chat/completions"]}' \
        "$base/v1/detect"
}
stats() { curl -s -m 10 "$@" "$base/dashboard/api/stats"; }
ids() { grep '^id: ' | sed 's/^id: //' | tr '\n' ' '; }
events() { curl -sN -m 0.5 "$@"; } # a stream never ends: what came in half a second
# shadow_ai alone: the server starts in milliseconds instead of seconds
printf '[prompt_injection]\nenabled = false\n[polymorphic]\nenabled = false\n' >"$dir/det.conf"
printf '[synthetic_media]\nenabled = false\n[ai_vs_ai]\nenabled = false\n' >>"$dir/det.conf"

serve_start --config "$dir/det.conf" --listen 127.0.0.1:0 --threads 2
check off-404 404 "$(code "$base/dashboard")"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

serve_start --config "$dir/det.conf" --listen 127.0.0.1:0 --threads 2 --dashboard --event-ring 4 --cache-bytes 0
check page 200 "$(code "$base/dashboard")"
check page-slash 200 "$(code "$base/dashboard/")"
curl -s -m 10 -D "$dir/h" -o "$dir/page" "$base/dashboard"
check page-type 'text/html; charset=utf-8' "$(sed -n 's/^Content-Type: \(.*\)\r$/\1/p' "$dir/h")"
check page-csp "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'" \
    "$(sed -n 's/^Content-Security-Policy: \(.*\)\r$/\1/p' "$dir/h")"
check page-nothing-remote 0 "$(grep -c 'https\?://' "$dir/page")"
for f in dashboard.js dashboard.css uPlot.iife.min.js uPlot.min.css; do
    check "asset-$f" 200 "$(code "$base/dashboard/$f")"
done
check uplot-version '/*! https://github.com/leeoniya/uPlot (v1.6.32) */' \
    "$(curl -s -m 10 "$base/dashboard/uPlot.iife.min.js" | head -1)"
check asset-missing 404 "$(code "$base/dashboard/nope.js")"
check asset-post 405 "$(code -d x "$base/dashboard")"

for i in 1 2 3 4 5 6; do threat; done
curl -s -m 10 -o /dev/null -d '{"prompt":"hello"}' "$base/v1/detect"
sleep 1.2 # one sample
stats >"$dir/stats"
check stats-totals '6 ai_api_endpoint 6 127.0.0.1 6 6' "$(python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
print(d["totals"]["threats"], d["categories"][0]["name"], d["categories"][0]["count"],
      d["clients"][0]["name"], d["clients"][0]["count"], d["events"]["last_id"])' "$dir/stats")"
check stats-series 7 "$(python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); print(sum(d["series"]["requests"]))' "$dir/stats")"

# replay: ring of 4 holds 3..6
events -H 'Last-Event-ID: 4' "$base/v1/events" >"$dir/ev1"
check replay-after-4 '5 6 ' "$(ids <"$dir/ev1")"
events "$base/v1/events?last_event_id=0" >"$dir/ev2"
check replay-gap 'data: {"from":1,"to":2}' "$(grep -A1 '^event: gap' "$dir/ev2" | tail -1)"
check replay-kept '3 4 5 6 ' "$(ids <"$dir/ev2")"
check replay-header-wins '6 ' "$(events -H 'Last-Event-ID: 5' \
    "$base/dashboard/events?last_event_id=0" | ids)"
# a subscriber gets the live events after its replay, each once
(curl -sN -m 1.5 -H 'Last-Event-ID: 5' "$base/v1/events" >"$dir/ev3") &
sub=$!
sleep 0.5
threat
wait "$sub"
check replay-then-live '6 7 ' "$(ids <"$dir/ev3")"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

digest() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
printf 'ops sha256:%s\n' "$(digest alpha-key)" >"$dir/keys"
serve_start --config "$dir/det.conf" --listen 127.0.0.1:0 --threads 2 --dashboard --api-keys "$dir/keys"
curl -s -m 10 -D "$dir/h" -o /dev/null "$base/dashboard"
check keys-401 'HTTP/1.1 401 Unauthorized' "$(head -1 "$dir/h" | tr -d '\r')"
check keys-challenge 'Basic realm="trawl", charset="UTF-8"' \
    "$(sed -n 's/^WWW-Authenticate: \(.*\)\r$/\1/p' "$dir/h")"
check keys-basic 200 "$(code -u browser:alpha-key "$base/dashboard")"
check keys-basic-wrong 401 "$(code -u browser:alpha-kez "$base/dashboard")"
check keys-bearer 200 "$(code -H 'Authorization: Bearer alpha-key' "$base/dashboard/api/stats")"
check keys-stats-401 401 "$(code "$base/dashboard/api/stats")"
check keys-events-401 401 "$(code "$base/dashboard/events")"
threat -H 'X-API-Key: alpha-key'
check keys-events-basic '1 ' "$(events -u x:alpha-key "$base/dashboard/events?last_event_id=0" | ids)"
check keys-v1-events-basic '1 ' "$(events -u x:alpha-key "$base/v1/events?last_event_id=0" | ids)"
kill "$pid"; wait "$pid" 2>/dev/null; pid=

"$T" serve --listen 127.0.0.1:0 --event-ring 70000 2>"$dir/err"
check ring-limit "2 trawl serve: --event-ring: not a valid number: '70000'" "$? $(cat "$dir/err")"
printf '[serve]\ndashboard = maybe\n' >"$dir/conf"
"$T" serve --config "$dir/conf" 2>"$dir/err"
check conf-bool "2 trawl serve: $dir/conf, line 2, key 'dashboard': expected true or false, got 'maybe'" \
    "$? $(cat "$dir/err")"
[ "$fails" = 0 ] && echo "serve_dashboard: all passed"
exit "$fails"
