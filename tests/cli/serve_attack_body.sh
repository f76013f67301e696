#!/bin/sh
# serve_attack_body.sh TRAWL -- hostile bodies against `trawl serve` on an
# ephemeral loopback port (tests/cli/lib/attack.py; bench/attack/ runs the
# same at the issue's sizes):
# - 100 keyless connections each sending 1 MiB - 1 of body to a server with
#   API keys: every one is answered 401 when its headers arrive, and the
#   server's RSS does not grow by the bodies (it grew ~100 MB before);
# - bodies sent to endpoints that take none (GET endpoints, 404s) are
#   dropped as they arrive, not buffered;
# - /v1/scan of 1 MiB of zeros with a one-byte rule: the response stops at
#   10,000 matches (749 KB; it was 80.7 MB) and says so in its last line and
#   in X-Trawl-Truncated; 16 at once grow RSS by their bodies only (it was
#   +1.19 GB); --scan-max-bytes cuts by size; a streamed response with a
#   match longer than a stream block equals `trawl scan --json`.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
attack() { python3 "$(dirname "$0")/lib/attack.py" "$@"; }
digest() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
# Under ASan freed blocks wait in a quarantine (up to 256 MB) and every
# block has redzones, so RSS growth there is a few times the release
# build's: the bounds are scaled (the bugs they catch grew by gigabytes).
. "$(dirname "$0")/lib/asan.sh"
bound() { [ $asan = 1 ] && echo $(($1 * 4)) || echo "$1"; }

# 1. unauthenticated memory: 401 before a byte of body is buffered
printf 'ops sha256:%s\n' "$(digest alpha-key)" >"$dir/keys"
serve_start --listen 127.0.0.1:0 --threads 2 --api-keys "$dir/keys"
attack bodyhold --port "$port" --pid "$pid" --conns 100 --size 1048576 --seconds 20 >"$dir/out"
cat "$dir/out"
check keyless-401 'answered=100 codes={"401": 100}' "$(grep -o 'answered=[0-9]* codes={[^}]*}' "$dir/out")"
growth=$(sed -n 's/^rss_growth_mb=//p' "$dir/out")
check keyless-rss "yes" "$(lt "$growth" "$(bound 16)" && echo yes || echo "no: grew $growth MB")"
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
check unused-body-rss "yes" "$(lt "$growth" "$(bound 16)" && echo yes || echo "no: grew $growth MB")"
check unused-body-404 '404 {"error":"not_found","message":"no such endpoint: /no/such"}' \
    "$(curl -s -m 10 --data-binary 'xxxx' -o "$dir/b" -w '%{http_code}' "$base/no/such"; printf ' %s' "$(cat "$dir/b")")"
kill -TERM "$pid"; wait "$pid"; pid=

# 5. bounded, streamed /v1/scan responses
printf 'zero: \\x00\n' >"$dir/zero.rules"
printf 'run: A+\nmark: \\xAA\\x55\n' >"$dir/run.rules"
serve_start --listen 127.0.0.1:0 --threads 2 --rules zero="$dir/zero.rules" --rules run="$dir/run.rules"
attack scan --port "$port" --pid "$pid" --size 1048576 --conc 1 --query '?rules=zero' >"$dir/out"
cat "$dir/out"
check scan-capped "status=HTTP/1.1 200 OK response_bytes=748946 truncated=max_matches" \
    "$(sed -n 's/ seconds=.*//p' "$dir/out")"
check scan-cut-line 'last_line={"truncated":true,"reason":"max_matches","limit":10000}' "$(sed -n 2p "$dir/out")"
attack scan --port "$port" --pid "$pid" --size 1048576 --conc 16 --query '?rules=zero' >"$dir/out"
cat "$dir/out"
growth=$(sed -n 's/.*growth_mb=//p' "$dir/out")
check scan-16-rss "yes" "$(lt "$growth" "$(bound 64)" && echo yes || echo "no: grew $growth MB")"
# a 200 KB match (a 400 KB line, over several 64 KiB stream blocks) between
# two short ones: byte for byte what trawl scan --json prints
python3 -c 'import sys; sys.stdout.buffer.write(b"x\xaa\x55" + b"A" * 200000 + b"yy\xaa\x55z")' >"$dir/long.bin"
want=$("$T" scan --json -r "$dir/run.rules" "$dir/long.bin" | sed "s|\"file\":\"$dir/long.bin\"|\"file\":\"(request)\"|")
check scan-stream-equal "$want" "$(curl -s -m 10 --data-binary @"$dir/long.bin" "$base/v1/scan?rules=run")"
kill -TERM "$pid"; wait "$pid"; pid=
serve_start --listen 127.0.0.1:0 --threads 2 --rules zero="$dir/zero.rules" --scan-max-bytes 10k
curl -s -m 10 -D "$dir/h" --data-binary @"$dir/long.bin" -o /dev/null "$base/v1/scan"
head -c 100000 /dev/zero >"$dir/z.bin"
curl -s -m 10 -D "$dir/h" --data-binary @"$dir/z.bin" -o "$dir/b" "$base/v1/scan"
check scan-bytes-cut "max_response_bytes yes" \
    "$(sed -n 's/^X-Trawl-Truncated: \([a-z_]*\).*/\1/ip' "$dir/h") $([ "$(wc -c <"$dir/b")" -le 10240 ] && echo yes)"
check scan-bytes-line '{"truncated":true,"reason":"max_response_bytes","limit":10240}' "$(tail -n1 "$dir/b")"
kill -TERM "$pid"; wait "$pid"; pid=

[ $fails -eq 0 ] && echo "serve_attack_body: all passed"
exit $fails
