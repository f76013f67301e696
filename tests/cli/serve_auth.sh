#!/bin/sh
# serve_auth.sh TRAWL -- API keys and rate limits of `trawl serve` over real
# HTTP on an ephemeral loopback port: 401 without or with a wrong key, both
# header forms accepted, open health/metrics, 429 with Retry-After over a
# key's rate, SIGHUP reload (rotated key, bad file keeps the old keys), and
# a bad key file refused at start with its line named.
set -u
T=$1
dir=$(mktemp -d)
pid=
wd=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    [ -n "$wd" ] && kill "$wd" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap "cat \"\$dir/err\"; cleanup" EXIT
fails=0
check() {
    if [ "$2" != "$3" ]; then
        echo "FAIL $1"; echo "  want: $2"; echo "  got:  $3"; fails=$((fails + 1))
    fi
}
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
json_first() {
    python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print("\"%s\" \"%s\" %s %s" % (d["method"], d["path"], d["status"], d.get("key")))'
}
digest() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

printf '# test keys\nops sha256:%s\nci sha256:%s 1 2\n' "$(digest alpha-key)" "$(digest beta-key)" >"$dir/keys"
# not under timeout(1), which would relay SIGHUP to the process group; a
# watchdog bounds the run instead
printf 'first: ab\n' >"$dir/scan.rules"
"$T" serve --listen 127.0.0.1:0 --threads 2 --api-keys "$dir/keys" --access-log "$dir/access" \
    --rules demo="$dir/scan.rules" 2>"$dir/err" &
pid=$!
(sleep 180; kill -KILL "$pid" 2>/dev/null) >/dev/null 2>&1 &
wd=$!
i=0
while ! grep -q '^listening on' "$dir/err" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 1200 ] && { echo "FAIL server did not start"; cat "$dir/err"; exit 1; }
    sleep 0.05
done
base="http://127.0.0.1:$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/err")"
B='{"prompt":"hello"}'
post() { # HEADER... : "CODE BODY"
    curl -s -m 10 -o "$dir/body" -w '%{http_code}' "$@" --data-binary "$B" "$base/v1/detect"
    printf ' %s' "$(cat "$dir/body")"
}
code() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }

check no-key '401 {"error":"unauthorized","message":"missing API key (Authorization: Bearer KEY or X-API-Key)"}' "$(post)"
check bad-key '401 {"error":"unauthorized","message":"invalid API key"}' "$(post -H 'Authorization: Bearer alpha-kez')"
check bearer 200 "$(post -H 'Authorization: Bearer alpha-key' | cut -d' ' -f1)"
check x-api-key 200 "$(post -H 'X-API-Key: alpha-key' | cut -d' ' -f1)"
check healthz-open 200 "$(code "$base/healthz")"
# the gateway endpoints screen too: they need the key like /v1/detect
for ep in /v2/guard /analyze/prompt /v1/authz /beta/litellm_basic_guardrail_api; do
    check "keyless$ep" 401 "$(code -d '{"messages":[{"role":"user","content":"hi"}]}' "$base$ep")"
done
check keyed-guard 200 "$(code -H 'X-API-Key: alpha-key' -d '{"messages":[{"role":"user","content":"hi"}]}' "$base/v2/guard")"
check metrics-open 200 "$(code "$base/metrics")"

# ci: 1 request/s, burst 2
r1=$(post -H 'X-API-Key: beta-key' | cut -d' ' -f1)
r2=$(post -H 'X-API-Key: beta-key' | cut -d' ' -f1)
curl -s -m 10 -D "$dir/hdr" -o "$dir/body" -H 'X-API-Key: beta-key' --data-binary "$B" "$base/v1/detect"
check rate "200 200" "$r1 $r2"
check rate-429 'HTTP/1.1 429 Too Many Requests' "$(head -1 "$dir/hdr" | tr -d '\r')"
check rate-body '{"error":"rate_limited","message":"rate limit of 1 requests/s exceeded for key '"'"'ci'"'"'"}' "$(cat "$dir/body")"
check retry-after 'Retry-After: 1' "$(grep -i '^Retry-After' "$dir/hdr" | tr -d '\r')"
check other-key-unaffected 200 "$(post -H 'X-API-Key: alpha-key' | cut -d' ' -f1)"

scan() { curl -s -m 10 -H "X-API-Key: $1" --data-binary 'abzz' "$base/v1/scan" | sed 's/.*"pattern":"\([a-z]*\)".*/\1/' | tr '\n' ' '; }
check scan-before "first " "$(scan alpha-key)"

# rotate: alpha-key out, gamma-key in; the rule file changes too
printf 'ops sha256:%s\n' "$(digest gamma-key)" >"$dir/keys"
printf 'second: zz\n' >"$dir/scan.rules"
kill -HUP "$pid"
i=0
while ! grep -q 'API keys reloaded' "$dir/err"; do
    i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
check reload-old 401 "$(post -H 'X-API-Key: alpha-key' | cut -d' ' -f1)"
check reload-new 200 "$(post -H 'X-API-Key: gamma-key' | cut -d' ' -f1)"
i=0
while ! grep -q 'rule sets reloaded' "$dir/err"; do
    i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
check rules-reloaded "second " "$(scan gamma-key)"
printf 'broken: a(b\n' >"$dir/scan.rules"
# a broken file on reload: the keys in force stay
printf 'ops sha256:nothex\n' >"$dir/keys"
kill -HUP "$pid"
i=0
while ! grep -q 'rule sets not reloaded' "$dir/err"; do
    i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
check reload-bad-msg "trawl serve: $dir/keys, line 1: the digest must be sha256: and 64 hex digits" \
    "$(grep -A1 'API keys not reloaded' "$dir/err" | sed -n 2p)"
check reload-bad-keeps 200 "$(post -H 'X-API-Key: gamma-key' | cut -d' ' -f1)"
i=0
while ! grep -q 'rule sets not reloaded' "$dir/err"; do
    i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
check rules-bad-msg "trawl serve: SIGHUP: rule sets not reloaded: rule set 'demo', line 1: missing ')' to close the group opened here" \
    "$(grep 'rule sets not reloaded' "$dir/err")"
check rules-bad-keeps "second " "$(scan gamma-key)"
check metrics-401 'trawl_http_requests_total{endpoint="detect",code="401"} 3' \
    "$(curl -s "$base/metrics" | grep 'endpoint="detect",code="401"')"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
check rc 0 "$rc"

# the access log: one JSON line per answered request, key names, no keys
check access-lines "$(grep -c . "$dir/access")" "$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line); n += 1
    assert d["client"] == "127.0.0.1" and d["ts"].endswith("Z") and d["latency_us"] > 0
print(n)' "$dir/access")"
check access-first '"POST" "/v1/detect" 401 None' "$(head -1 "$dir/access" | json_first)"
check access-key '"POST" "/v1/detect" 429 ci' "$(grep '"status":429' "$dir/access" | head -1 | json_first)"
check access-no-secret 0 "$(grep -c 'alpha-key\|beta-key\|gamma-key' "$dir/access")"

printf 'ops sha256:%s extra junk\n' "$(digest x)" >"$dir/bad"
"$T" serve --listen 127.0.0.1:0 --api-keys "$dir/bad" 2>"$dir/e"; rc=$?
check bad-file "2 trawl serve: $dir/bad, line 1: expected NAME sha256:HEX [RATE [BURST]] [admin]" "$rc $(cat "$dir/e")"

[ $fails -eq 0 ] && echo "serve_auth: all passed"
exit $fails
