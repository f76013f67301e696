#!/bin/sh
# redis_cost.sh TRAWL [SECONDS] -- what the shared Redis tier adds to a
# request, and when it pays. One `trawl serve` with its local cache off, at a
# low fixed rate (RATE, default 500/s: no queueing, so p50 is a request's
# own cost), open loop (bench/loadtest/loadgen), REPEATS runs each (default 3):
#   no-redis    every request screened
#   redis-miss  every request a Redis miss: a lookup, the screening, a
#               pipelined store
#   redis-hit   the same requests again: every one answered from Redis
#   key-local   redis-hit with an API key whose limit (1e9/s) this instance
#               keeps (auth.c's token bucket)
#   key-shared  the same with --redis-rate-limits: the fleet's bucket in Redis,
#               one EVALSHA round trip per request
# Also prints the lookup round trip trawl measures itself (TCP and a unix
# socket), from /v1/metrics.
set -eu
T=$1
SECS=${2:-3}
RATE=${RATE:-500}
REPEATS=${REPEATS:-3}
B=$(cd "$(dirname "$T")/../bench" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
data=${TRAWL_SHARED_DATA:-$repo/../shared/data}
command -v redis-server >/dev/null || { echo "redis_cost: redis-server is not installed"; exit 0; }
dir=$(mktemp -d)
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT
python3 "$repo/bench/loadtest/gen_bodies.py" "$data/prompts/dev.jsonl" "$dir/bodies" 2000
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/secret"
rp=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$rp" --bind 127.0.0.1 --unixsocket "$dir/redis.sock" --save '' \
    --appendonly no --dir "$dir" >/dev/null 2>&1 &
pids="$pids $!"
i=0; while ! redis-cli -p "$rp" ping >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.05; done

serve() { # ERRFILE OPTIONS...: sets port
    e=$1; shift
    "$T" serve --listen 127.0.0.1:0 --threads 2 --cache-entries 0 --cache-bytes 0 "$@" >/dev/null 2>"$e" &
    pids="$pids $!"
    i=0; while ! grep -q '^listening' "$e" 2>/dev/null; do i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.05; done
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$e")
}
summary() { # NAME RUNS-FILE: the median p50 (and its spread) and p99, in us
    python3 - "$1" "$2" <<'PY'
import statistics, sys
rows = [dict(zip(l.split()[0::2], l.split()[1::2])) for l in open(sys.argv[2]) if l.strip()]
p50 = [float(r["p50_us"]) for r in rows]; p99 = [float(r["p99_us"]) for r in rows]
print("%-11s p50 %7.1f us (%.1f..%.1f)   p99 %8.1f us   errors %d" % (sys.argv[1], statistics.median(p50),
      min(p50), max(p50), statistics.median(p99), sum(int(r["errors"]) + int(r["non200"]) for r in rows)))
PY
}
p50() { # NAME: REPEATS runs at RATE
    : >"$dir/runs"
    for i in $(seq 1 "$REPEATS"); do
        "$B/loadgen" "127.0.0.1:$port" /v1/detect "$RATE" "$SECS" "$dir/bodies" 16 1 >>"$dir/runs"
    done
    summary "$1" "$dir/runs"
}
echo "redis cost: $RATE req/s open loop, ${SECS} s x $REPEATS per point, load average $(cut -d' ' -f1-3 /proc/loadavg)"
serve "$dir/a.err"
p50 no-redis
serve "$dir/b.err" --redis "127.0.0.1:$rp" --redis-secret-file "$dir/secret"
# A run's requests are the same every run (loadgen numbers them): each
# miss run starts from an empty Redis; the hit runs find the last one's.
: >"$dir/miss"
for i in $(seq 1 "$REPEATS"); do
    redis-cli -p "$rp" flushall >/dev/null
    "$B/loadgen" "127.0.0.1:$port" /v1/detect "$RATE" "$SECS" "$dir/bodies" 16 1 >>"$dir/miss"
done
summary redis-miss "$dir/miss"
p50 redis-hit
curl -s "http://127.0.0.1:$port/v1/metrics" | python3 -c 'import json,sys; r=json.load(sys.stdin)["redis"]; print("lookup round trip (TCP), measured by trawl: p50 %.1f us, p99 %.1f us over %d lookups" % (r["lookup_p50_us"], r["lookup_p99_us"], r["hits"] + r["misses"]))'
serve "$dir/c.err" --redis "unix:$dir/redis.sock" --redis-secret-file "$dir/secret"
p50 redis-hit-unix
curl -s "http://127.0.0.1:$port/v1/metrics" | python3 -c 'import json,sys; r=json.load(sys.stdin)["redis"]; print("lookup round trip (unix socket), measured by trawl: p50 %.1f us, p99 %.1f us" % (r["lookup_p50_us"], r["lookup_p99_us"]))'
# shared API-key limits: the same hits with a key, its bucket here or in Redis
key=$(printf 'bench-key-0123456789' | sha256sum | cut -d' ' -f1)
printf 'bench sha256:%s 1000000000\n' "$key" >"$dir/keys"
export LOADGEN_HEADER='X-API-Key: bench-key-0123456789'
serve "$dir/d.err" --redis "127.0.0.1:$rp" --redis-secret-file "$dir/secret" --api-keys "$dir/keys"
p50 key-local
serve "$dir/e.err" --redis "127.0.0.1:$rp" --redis-secret-file "$dir/secret" --api-keys "$dir/keys" \
    --redis-rate-limits
p50 key-shared
curl -s "http://127.0.0.1:$port/v1/metrics" | python3 -c 'import json,sys; r=json.load(sys.stdin)["redis"]; print("shared bucket checks: %d allowed, %d limited, %d fell back to the local bucket" % (r["rate_allowed"], r["rate_limited"], r["rate_fallbacks_api_key"]))'
