#!/bin/sh
# fleet_limits.sh TRAWL -- rate limits shared through Redis (--redis-rate-limits):
# two `trawl serve` instances on 127.0.0.1 free ports, one Redis. Asserts:
#   - an API key's budget (burst 4, 0.01/s) is the fleet's: four requests split
#     over A and B pass, the fifth is 429 on A and the sixth 429 on B; 24
#     requests at once over both with a burst of 10: exactly 10 pass;
#   - ai_vs_ai's per-client rate window (rate_limit 3) counts across
#     instances: the fourth request of a client, split over A and B, is a
#     rate_limit violation counted across instances;
#   - Redis stopped: each instance's own limits apply (A's untouched local
#     bucket lets four through, then 429; A's own window flags the client at
#     its fourth request there), and trawl_redis_rate_fallbacks_total rises
#     for both kinds.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
. "$(dirname "$0")/lib/fleet.sh"
for c in curl redis-server redis-cli; do
    command -v $c >/dev/null || { echo "SKIP: $c is not installed"; exit 0; }
done

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/secret"
lim=$(printf 'limited-key-1234' | sha256sum | cut -d' ' -f1)
opn=$(printf 'open-key-5678' | sha256sum | cut -d' ' -f1)
conc=$(printf 'concurrent-key-90' | sha256sum | cut -d' ' -f1)
printf 'lim sha256:%s 0.01 4\nopen sha256:%s\nconc sha256:%s 0.01 10\n' "$lim" "$opn" "$conc" >"$dir/keys"
printf '[ai_vs_ai]\nrate_limit = 3\nwindow_seconds = 60\n' >"$dir/cfg"

redis_start
# a generous reply bound: this tests sharing, not the timeout (a loaded
# machine can take more than the default 5 ms)
for n in t1 t2; do
    trawl_start $n --threads 2 --config "$dir/cfg" --api-keys "$dir/keys" \
        --redis "127.0.0.1:$redis_port" --redis-secret-file "$dir/secret" --redis-timeout-ms 1000 \
        --redis-rate-limits
done

code() { # PORT KEY BODY: the status code
    curl -s -m 10 -H "X-API-Key: $2" --data-binary "$3" -o "$dir/body" -w '%{http_code}' \
        "http://127.0.0.1:$1/v1/detect"
}
metric() { # PORT NAME: a counter's value from /metrics
    curl -s -m 5 "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}
# the rate_limit violation's evidence, or "none"
rate_ev() {
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = [e for x in d["detectors"].get("ai_vs_ai", {}).get("violations", [])
     if x["category"] == "rate_limit" for e in x["evidence"]]
print(v[0] if v else "none")' "$dir/body"
}

# ---- one API-key budget for the fleet -----------------------------------------------
got=
for p in $t1_port $t2_port $t1_port $t2_port $t1_port $t2_port; do
    got="$got $(code $p limited-key-1234 '{"prompt":"shared budget"}')"
done
check key-shared-budget " 200 200 200 200 429 429" "$got"
check key-429-names-limit "rate_limited" "$(sed -n 's/.*"error":"\([a-z_]*\)".*/\1/p' "$dir/body")"
check key-limited-in-redis-a 1 "$(metric $t1_port 'trawl_redis_rate_checks_total{result="limited"}')"
check key-limited-in-redis-b 1 "$(metric $t2_port 'trawl_redis_rate_checks_total{result="limited"}')"

# ---- at once: 24 requests in parallel, 12 to each, burst 10 -> exactly 10 pass -------------
i=0
pids=
while [ $i -lt 24 ]; do
    p=$t1_port; [ $((i % 2)) = 1 ] && p=$t2_port
    curl -s -m 20 -H 'X-API-Key: concurrent-key-90' -d '{"prompt":"at once"}' -o /dev/null \
        -w '%{http_code}\n' "http://127.0.0.1:$p/v1/detect" >"$dir/par.$i" &
    pids="$pids $!"
    i=$((i + 1))
done
wait $pids # not a bare wait: the servers are children too
check key-atomic-under-concurrency "10 14" "$(cat "$dir"/par.* | grep -c '^200$') $(cat "$dir"/par.* | grep -c '^429$')"

# ---- ai_vs_ai's rate window across the fleet --------------------------------------------
body='{"prompt":"what is the weather","client_id":"agent-fleet"}'
evs=
for p in $t1_port $t2_port $t1_port $t2_port; do
    c=$(code $p open-key-5678 "$body")
    evs="$evs|$c $(rate_ev)"
done
check aiva-shared-window \
    "|200 none|200 none|200 none|200 client \"agent-fleet\": 4 requests within the last 60 s window, limit 3 (counted across instances)" \
    "$evs"

# ---- Redis stopped: local limits, counted ---------------------------------------------------
e0=$(metric $t1_port trawl_redis_errors_total)
redis_stop
got=
for i in 1 2 3 4 5; do
    got="$got $(code $t1_port limited-key-1234 '{"prompt":"redis down"}')"
done
check key-local-after-redis-down " 200 200 200 200 429" "$got"
f=$(metric $t1_port 'trawl_redis_rate_fallbacks_total{kind="api_key"}')
check key-fallbacks-counted 5 "$f"
e1=$(metric $t1_port trawl_redis_errors_total)
[ "${e1:-0}" -gt "${e0:-0}" ] || check redis-errors-rise ">$e0" "$e1"
# A's own window saw requests 1 and 3 of agent-fleet: the 4th there is over 3
evs=
for i in 1 2; do
    c=$(code $t1_port open-key-5678 "$body")
    evs="$evs|$c $(rate_ev)"
done
check aiva-local-after-redis-down \
    "|200 none|200 client \"agent-fleet\": 4 requests within the last 60 s window, limit 3" "$evs"
check aiva-fallbacks-counted 2 "$(metric $t1_port 'trawl_redis_rate_fallbacks_total{kind="ai_vs_ai"}')"

[ $fails -eq 0 ] && echo "fleet_limits: all passed" || { echo "fleet_limits: $fails failed"; exit 1; }
