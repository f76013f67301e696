#!/bin/sh
# serve_http.sh TRAWL -- `trawl serve` over real HTTP on an ephemeral
# loopback port: every endpoint's success path, every error status with its
# JSON body, the cache (hit on a repeat, miss on a different request, key
# order ignored), Prometheus text shape, and SIGTERM draining a request in
# flight before exiting 0. Bounded: the server runs under `timeout`.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }

start() { # serve options...
    serve_start --listen 127.0.0.1:0 --threads 2 "$@"
}
# req METHOD PATH [BODY]: prints "CODE BODY"
req() {
    if [ $# -ge 3 ]; then
        curl -s -m 10 -X "$1" -H 'Content-Type: application/json' --data-binary "$3" \
             -o "$dir/body" -w '%{http_code}' "$base$2"
    else
        curl -s -m 10 -X "$1" -o "$dir/body" -w '%{http_code}' "$base$2"
    fi
    printf ' %s' "$(cat "$dir/body")"
}
json() { # FILE-less: python expression over `d` from stdin
    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

printf 'ok: ab\nx/lit: zz\nhdr: \\xAA\\x55..\n' >"$dir/demo.rules"
start --max-body 4k --rules demo="$dir/demo.rules"
check healthz '200 {"status":"ok"}' "$(req GET /healthz)"
check readyz '200 {"status":"ready"}' "$(req GET /readyz)"

# detection: a flagged URL, then the same request with keys reordered (hit),
# then a different request (miss)
A='{"prompt":"summarise this","urls":["https://api.openai.com/v1/chat/completions"]}'
B='{ "urls" : ["https://api.openai.com/v1/chat/completions"], "prompt":"summarise this" }'
C='{"prompt":"summarise that","urls":["https://example.org/"]}'
out=$(req POST /v1/detect "$A")
check detect-code 200 "${out%% *}"
echo "${out#* }" >"$dir/a.json"
check detect-shape "True False 0.95" "$(json '"shadow_ai" in d["detectors"], d["cached"], d["detectors"]["shadow_ai"]["threat_score"]' <"$dir/a.json")"
check detect-category ai_api_endpoint "$(json 'd["detectors"]["shadow_ai"]["violations"][0]["category"]' <"$dir/a.json")"
out=$(req POST /v1/detect "$B")
check cache-hit "True 0.95" "$(echo "${out#* }" | json 'd["cached"], d["threat_score"]')"
out=$(req POST /v1/detect "$C")
check cache-miss-different "200 False 0" "${out%% *} $(echo "${out#* }" | json 'd["cached"], d["threat_score"]')"
# a different detector selection is a different key
out=$(req POST '/v1/detect?only=shadow_ai' "$A")
check only "False ['shadow_ai']" "$(echo "${out#* }" | json 'd["cached"], sorted(d["detectors"])')"
out=$(req POST /v1/detect/shadow_ai "$A")
check one-detector "200 True ['shadow_ai']" "${out%% *} $(echo "${out#* }" | json 'd["cached"], sorted(d["detectors"])')"

# scan: the same lines as `trawl scan --json` (file "(request)"), raw or base64
printf 'xxab\252\125\001\002zzab' >"$dir/s.bin"
want=$("$T" scan --json -r "$dir/demo.rules" "$dir/s.bin" | sed "s|\"file\":\"$dir/s.bin\"|\"file\":\"(request)\"|")
check scan-raw "$want" "$(curl -s -m 10 --data-binary @"$dir/s.bin" "$base/v1/scan?rules=demo")"
b64=$(base64 -w0 <"$dir/s.bin")
check scan-json "$want" "$(curl -s -m 10 -H 'Content-Type: application/json' -d "{\"data_base64\":\"$b64\"}" "$base/v1/scan")"
check scan-none "200 0" "$(curl -s -m 10 --data-binary 'nothing to see' -o "$dir/body" -w '%{http_code}' "$base/v1/scan") $(wc -c <"$dir/body")"
check scan-bad-json '400 {"error":"bad_request","message":"malformed JSON at byte 0: invalid value"}' "$(req POST /v1/scan 'not json')"
check scan-unknown '404 {"error":"not_found","message":"unknown rule set '"'"'nope'"'"'"}' "$(req POST '/v1/scan?rules=nope' 'x')"
check scan-nodata '400 {"error":"bad_request","message":"field '"'"'data_base64'"'"': required in a JSON scan request"}' \
    "$(req POST /v1/scan '{"prompt":"x"}')"

# errors, each with its JSON body
check e400-json '400 {"error":"bad_request","message":"malformed JSON at byte 11: invalid value"}' \
    "$(req POST /v1/detect '{"prompt": }')"
check e400-type '400 {"error":"bad_request","message":"field '"'"'urls'"'"': expected an array of strings"}' \
    "$(req POST /v1/detect '{"urls":"https://x"}')"
check e400-range '400 {"error":"bad_request","message":"field '"'"'timestamp_ms'"'"': expected milliseconds since the epoch"}' \
    "$(req POST /v1/detect '{"timestamp_ms":1e300}')"
check e400-notobj '400 {"error":"bad_request","message":"the request body must be a JSON object"}' \
    "$(req POST /v1/detect '[1,2]')"
check e400-empty '400 {"error":"bad_request","message":"empty body: expected a JSON object"}' \
    "$(req POST /v1/detect '')"
check e400-paths '400 {"error":"bad_request","message":"field '"'"'files'"'"': server-side paths are not accepted over HTTP; send content in data_base64"}' \
    "$(req POST /v1/detect '{"files":["/etc/passwd"]}')"
check e400-only '400 {"error":"bad_request","message":"query '"'"'only'"'"': unknown detector '"'"'nope'"'"'"}' \
    "$(req POST '/v1/detect?only=shadow_ai,nope' '{}')"
check e404 '404 {"error":"not_found","message":"no such endpoint: /v2/x"}' "$(req GET /v2/x)"
check e404-detector '404 {"error":"not_found","message":"unknown detector '"'"'bogus'"'"'"}' \
    "$(req POST /v1/detect/bogus '{}')"
check e405 '405 {"error":"method_not_allowed","message":"/v1/detect takes POST"}' "$(req GET /v1/detect)"
check e405-get '405 {"error":"method_not_allowed","message":"/healthz takes GET"}' "$(req POST /healthz '{}')"
head -c 5000 /dev/zero | tr '\0' ' ' >"$dir/big"
check e413 '413 {"error":"payload_too_large","message":"request body over the limit of 4096 bytes"}' \
    "$(curl -s -m 10 --data-binary @"$dir/big" -o "$dir/body" -w '%{http_code}' "$base/v1/detect"; printf ' %s' "$(cat "$dir/body")")"
check e413-chunked 413 \
    "$(curl -s -m 10 -H 'Transfer-Encoding: chunked' --data-binary @"$dir/big" -o /dev/null -w '%{http_code}' "$base/v1/detect")"
# request headers are bounded (--max-header, default 16k): 20,000 bytes of
# them are refused by libmicrohttpd with 431, 10,000 pass
check e431 431 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$base/healthz")"
check header-10k 200 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 10000 /dev/zero | tr '\0' a)" "$base/healthz")"

# keep-alive: two requests over one connection use one TCP connection
n=$(curl -s -m 10 -o /dev/null -o /dev/null -w '%{num_connects}\n' "$base/healthz" "$base/healthz" | awk '{s+=$1} END {print s}')
check keepalive 1 "$n"

# metrics as JSON
req GET /v1/metrics >/dev/null
json 'd["cache"]["hits"], d["cache"]["misses"], d["endpoints"]["detect"]["status"]["200"], d["endpoints"]["detect"]["status"]["413"], d["errors"] >= 12, d["latency_us"]["p99"] >= d["latency_us"]["p50"] > 0' <"$dir/body" >"$dir/m"
check v1-metrics "2 5 4 2 True True" "$(cat "$dir/m")"
# per-detector latency: three detection runs (A, C, A?only=shadow_ai), two
# of them with every detector; cached answers are not runs
json '[(d["detectors"][n]["latency_us"]["count"], 0 < d["detectors"][n]["latency_us"]["p50"] <= d["detectors"][n]["latency_us"]["p99"] <= d["detectors"][n]["latency_us"]["max"]) for n in ("prompt_injection", "shadow_ai")]' <"$dir/body" >"$dir/m"
check v1-metrics-detectors "[(2, True), (3, True)]" "$(cat "$dir/m")"

# Prometheus text: every sample line is NAME{labels} VALUE, every name TYPEd
curl -s -m 10 -D "$dir/hdr" -o "$dir/prom" "$base/metrics"
check prom-type "text/plain; version=0.0.4; charset=utf-8" \
    "$(sed -n 's/^Content-Type: \(.*\)\r$/\1/ip' "$dir/hdr")"
check prom-lines 0 "$(grep -v '^#' "$dir/prom" | grep -cvE '^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? -?[0-9.e+-]+$')"
untyped=$(grep -v '^#' "$dir/prom" | sed 's/[{ ].*//; s/_\(sum\|count\|bucket\)$//' | sort -u | while read -r m; do
    grep -q "^# TYPE $m " "$dir/prom" || echo "$m"; done)
check prom-typed "" "$untyped"
check prom-hits 'trawl_cache_hits_total 2' "$(grep '^trawl_cache_hits_total ' "$dir/prom")"
check prom-count 'trawl_http_requests_total{endpoint="healthz",code="200"} 4' \
    "$(grep '^trawl_http_requests_total{endpoint="healthz",code="200"}' "$dir/prom")"
check prom-detector 'trawl_detector_duration_seconds_count{detector="shadow_ai"} 3' \
    "$(grep '^trawl_detector_duration_seconds_count{detector="shadow_ai"}' "$dir/prom")"
check prom-detector-quantiles 4 "$(grep -cE '^trawl_detector_duration(_max)?_seconds\{detector="prompt_injection"(,quantile="0\.(5|95|99)")?\} 0\.[0-9]{9}$' "$dir/prom")"

# SIGTERM while a request is in flight (its body arrives slowly): the request
# completes with 200, new connections are refused at once, requests begun
# after the signal on open connections get 503, the server exits 0.
head -c 3000 /dev/zero | tr '\0' ' ' >"$dir/slow"
printf '{"prompt":"x"}' >>"$dir/slow"
curl -s -m 20 --limit-rate 1000 -H 'Expect:' --data-binary @"$dir/slow" -o "$dir/slowbody" \
     -w '%{http_code}' "$base/v1/detect" >"$dir/slowcode" &
cpid=$!
sleep 0.5
# two keep-alive connections opened before SIGTERM: requests they start
# after it are answered 503 with "Connection: close"
python3 - "$port" "$pid" >"$dir/late" <<'PY'
import http.client, os, signal, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
c1 = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
c2 = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
for c in (c1, c2):
    c.request("GET", "/healthz"); c.getresponse().read()
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
c1.request("POST", "/v1/detect", body=b'{"prompt":"x"}')
r = c1.getresponse(); print(r.status, r.getheader("Connection"), r.read().decode())
c2.request("GET", "/readyz")
r = c2.getresponse(); print(r.status, r.read().decode())
PY
check late-503 '503 close {"error":"unavailable","message":"shutting down"}
503 {"error":"unavailable","message":"shutting down"}' "$(cat "$dir/late")"
# the listening socket is shut at once: connection refused (curl exit 7),
# not accepted by the kernel and left unanswered (curl timing out, 28)
check refused-while-draining "000 7" "$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$base/healthz"; echo " $?")"
wait "$cpid"
check drained-request 200 "$(cat "$dir/slowcode")"
wait "$pid"; rc=$?
pid=
check sigterm-rc 0 "$rc"
check sigterm-log "trawl serve: SIGTERM: draining" "$(grep SIGTERM "$dir/err")"

# cache off: a repeat is not a hit; at most 4 connections per client address
start --cache-entries 0 --cache-bytes 0 --max-per-ip 4 --sse-heartbeat-ms 200
python3 - "$port" >"$dir/perip" <<'PY'
import http.client, sys
port = int(sys.argv[1])
held = []
for i in range(4):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/healthz"); c.getresponse().read(); held.append(c)
c5 = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
try:
    c5.request("GET", "/healthz"); print(c5.getresponse().status)
except (ConnectionError, http.client.HTTPException):
    print("refused")
for c in held:
    c.close()
PY
sleep 0.3 # let the server see the close before the next connection
check per-ip "refused" "$(cat "$dir/perip")"
# Server-Sent Events: two subscribers with different filters
check sse-bad-query '400 {"error":"bad_request","message":"query '"'"'min_severity'"'"': expected low, medium, high or critical"}' \
    "$(req GET '/v1/events?min_severity=extreme')"
curl -s -N -m 20 "$base/v1/events?min_severity=high" >"$dir/ev1" &
e1=$!
curl -s -N -m 20 "$base/v1/events?detector=synthetic_media" >"$dir/ev2" &
e2=$!
sleep 0.5
req POST /v1/detect "$A" >/dev/null
out=$(req POST /v1/detect "$A")
check cache-off "False" "$(echo "${out#* }" | json 'd["cached"]')"
req POST /v1/detect "$C" >/dev/null
sleep 0.5
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
check cache-off-rc 0 "$rc"
wait "$e1"; wait "$e2" # the streams end when the server drains
check sse-events 2 "$(grep -c '^event: threat$' "$dir/ev1")"
check sse-event "threat 127.0.0.1 shadow_ai critical 0.95" "$(grep -m1 '^data: ' "$dir/ev1" | cut -c7- | json 'd["event_type"], d["client"], d["detector"], d["severity"], d["threat_score"]' | tr -d '(),'"'")"
check sse-heartbeat yes "$(grep -q '^: heartbeat$' "$dir/ev1" && echo yes)"
check sse-filtered 0 "$(grep -c '^event: threat$' "$dir/ev2")"
check sse-filtered-heartbeat yes "$(grep -q '^: heartbeat$' "$dir/ev2" && echo yes)"

# a port in use: the reason and the address, exit 2
start
"$T" serve --listen "127.0.0.1:$port" 2>"$dir/e"; rc=$?
check port-in-use "2 trawl serve: cannot listen on 127.0.0.1:$port: Address already in use" "$rc $(cat "$dir/e")"
kill -TERM "$pid"; wait "$pid"; pid=

# bad flags
"$T" serve --listen nowhere 2>"$dir/e"; rc=$?
check bad-listen "2 trawl serve: --listen: expected HOST:PORT, got 'nowhere'" "$rc $(cat "$dir/e")"
check help 0 "$("$T" serve --help >/dev/null; echo $?)"

[ $fails -eq 0 ] && echo "serve_http: all passed"
exit $fails
