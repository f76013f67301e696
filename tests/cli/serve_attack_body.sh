#!/bin/sh
# serve_attack_body.sh TRAWL -- hostile bodies against `trawl serve` on an
# ephemeral loopback port (tests/cli/lib/attack.py; bench/attack/ runs the
# same at the issue's sizes):
# - 100 keyless connections each sending 1 MiB - 1 of body to a server with
#   API keys: every one is answered 401 when its headers arrive, and the
#   server's RSS does not grow by the bodies (it grew ~100 MB before);
# - bodies sent to endpoints that take none (GET endpoints, 404s) are
#   dropped as they arrive, not buffered.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
attack() { python3 "$(dirname "$0")/lib/attack.py" "$@"; }
digest() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# 1. unauthenticated memory: 401 before a byte of body is buffered
printf 'ops sha256:%s\n' "$(digest alpha-key)" >"$dir/keys"
serve_start --listen 127.0.0.1:0 --threads 2 --api-keys "$dir/keys"
attack bodyhold --port "$port" --pid "$pid" --conns 100 --size 1048576 --seconds 20 >"$dir/out"
cat "$dir/out"
check keyless-401 'answered=100 codes={"401": 100}' "$(grep -o 'answered=[0-9]* codes={[^}]*}' "$dir/out")"
growth=$(sed -n 's/^rss_growth_mb=//p' "$dir/out")
check keyless-rss "yes" "$(lt "$growth" 16 && echo yes || echo "no: grew $growth MB")"
# the early 401 carries its JSON body; a keyed request with a body still works
check early-401-body '401 {"error":"unauthorized","message":"missing API key (Authorization: Bearer KEY or X-API-Key)"}' \
    "$(curl -s -m 10 --data-binary @/dev/null -H 'Content-Length: 10' -o "$dir/b" -w '%{http_code}' "$base/v1/detect" 2>/dev/null; printf ' %s' "$(cat "$dir/b")")"
check keyed-body 200 "$(curl -s -m 10 -H 'X-API-Key: alpha-key' -d '{"prompt":"hello"}' -o /dev/null -w '%{http_code}' "$base/v1/detect")"
kill -TERM "$pid"; wait "$pid"; pid=

# 2. bodies to endpoints that take none are dropped, not stored
serve_start --listen 127.0.0.1:0 --threads 2
attack bodyhold --port "$port" --pid "$pid" --conns 100 --size 1048576 --path /no/such --seconds 20 >"$dir/out"
cat "$dir/out"
growth=$(sed -n 's/^rss_growth_mb=//p' "$dir/out")
check unused-body-rss "yes" "$(lt "$growth" 16 && echo yes || echo "no: grew $growth MB")"
check unused-body-404 '404 {"error":"not_found","message":"no such endpoint: /no/such"}' \
    "$(curl -s -m 10 --data-binary 'xxxx' -o "$dir/b" -w '%{http_code}' "$base/no/such"; printf ' %s' "$(cat "$dir/b")")"
kill -TERM "$pid"; wait "$pid"; pid=

[ $fails -eq 0 ] && echo "serve_attack_body: all passed"
exit $fails
