#!/bin/sh
# serve_config.sh TRAWL -- `trawl serve --config FILE`: the [serve] section
# sets the server (port, cache, body limit, rule sets, access log; paths
# relative to the file), flags override it, errors name the file, line and
# key (exit 2); SIGHUP rebuilds the detection engine from the re-read file
# while requests keep flowing (none fails), every request that begins
# after a swap is answered by the new engine (cached answers included: the
# reload contract), and a broken file on reload keeps the engine in force.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 0; }

start() { # serve options...
    serve_start "$@"
    # signals go to trawl itself: timeout forwards only the first SIGHUP
    spid=$(pgrep -P "$pid" | head -n 1)
}
stop() {
    kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

A='{"prompt":"summarise this","urls":["https://api.openai.com/v1/chat/completions"]}'
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$dir/etc"
printf 'ok: ab\n' >"$dir/etc/demo.rules"
cat >"$dir/etc/serve.conf" <<EOF
# the server and the detectors in one file
[serve]
listen = 127.0.0.1:$free_port
threads = 2
cache_entries = 0
cache_bytes = 0
max_body = 200
max_header = 64k
rules = demo=demo.rules
access_log = access.log

[shadow_ai]
enabled = true
EOF

# the file sets the port, turns the cache off, bounds the body, names the
# rule set and the access log (both relative to the file)
start --config "$dir/etc/serve.conf"
check port "$free_port" "$port"
curl -s -m 10 -d "$A" "$base/v1/detect/shadow_ai" >/dev/null
check cache-off False "$(curl -s -m 10 -d "$A" "$base/v1/detect/shadow_ai" | json 'd["cached"]')"
head -c 300 /dev/zero | tr '\0' ' ' >"$dir/big"
check max-body '{"error":"payload_too_large","message":"request body over the limit of 200 bytes"}' \
    "$(curl -s -m 10 --data-binary @"$dir/big" "$base/v1/detect")"
check rules '{"file":"(request)","offset":2,"length":2,"pattern":"ok","data":"6162"}' \
    "$(curl -s -m 10 --data-binary xxab "$base/v1/scan?rules=demo")"
# headers of 20,000 bytes fit the file's 64k (the default, 16k, refuses them)
big_header="X-Big: $(head -c 20000 /dev/zero | tr '\0' a)"
check max-header 200 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "$big_header" "$base/healthz")"
stop
check rc 0 "$rc"
check access-log 5 "$(wc -l <"$dir/etc/access.log")"

# flags override the file: the cache comes on, the body limit grows
start --config "$dir/etc/serve.conf" --listen 127.0.0.1:0 --cache-entries 100 --cache-bytes 1m --max-body 1k
curl -s -m 10 -d "$A" "$base/v1/detect/shadow_ai" >/dev/null
check flag-cache True "$(curl -s -m 10 -d "$A" "$base/v1/detect/shadow_ai" | json 'd["cached"]')"
check flag-max-body 400 "$(curl -s -m 10 -o /dev/null -w '%{http_code}' --data-binary @"$dir/big" "$base/v1/detect")"
stop

# errors name the file, the line and the key; exit 2
bad() { # name config-text expected-stderr
    printf "$2" >"$dir/bad.conf"
    "$T" serve --config "$dir/bad.conf" 2>"$dir/e" </dev/null; rc=$?
    check "$1" "2 $3" "$rc $(cat "$dir/e")"
}
bad unknown-key '[serve]\nthreads = 2\ncache_byts = 1m\n' \
    "trawl serve: $dir/bad.conf, line 3: unknown key 'cache_byts' in [serve]"
bad bad-number '# x\n[serve]\nthreads = many\n' \
    "trawl serve: $dir/bad.conf, line 3, key 'threads': not a valid number: 'many'"
bad small-header '[serve]\nmax_header = 1k\n' \
    "trawl serve: $dir/bad.conf, line 2, key 'max_header': must be at least 4k"
bad bad-listen '[serve]\n\nlisten = nowhere\n' \
    "trawl serve: $dir/bad.conf, line 3, key 'listen': expected HOST:PORT, got 'nowhere'"
bad no-equals '[serve]\nthreads\n' "trawl serve: $dir/bad.conf, line 2: expected key = value"
bad bad-max-body '[serve]\nmax_body = 0\n' \
    "trawl serve: $dir/bad.conf, line 2, key 'max_body': must be at least 1"
bad detector-section '[serve]\nthreads = 1\n[nope]\n' \
    "trawl serve: $dir/bad.conf, line 3, column 2: unknown section (expected a detector name)"
bad missing-rules '[serve]\nrules = x=does-not-exist.rules\n' \
    "trawl: $dir/does-not-exist.rules: No such file or directory"

# SIGHUP: two threads post requests over keep-alive connections while the
# config is rewritten and reloaded six times, switching the shadow_ai allow
# list; every request succeeds and both verdicts are seen. Then the last
# config's verdict holds; then a broken file keeps it. Only shadow_ai is
# on, so an engine builds in milliseconds (all five take seconds on a
# loaded machine).
only_shadow='[prompt_injection]
enabled = false
[polymorphic]
enabled = false
[synthetic_media]
enabled = false
[ai_vs_ai]
enabled = false
'
printf '[serve]\nlisten = 127.0.0.1:0\nthreads = 2\ncache_entries = 1000\n%s' "$only_shadow" >"$dir/etc/serve.conf"
start --config "$dir/etc/serve.conf"
python3 - "$port" "$spid" "$dir/etc/serve.conf" "$only_shadow" >"$dir/reload" <<'PY'
import http.client, json, os, signal, sys, threading, time
port, pid, conf, only_shadow = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
A = b'{"prompt":"summarise this","urls":["https://api.openai.com/v1/chat/completions"]}'
stop = False
statuses, scores = {}, set()
answers = [] # (start, engine generation, score)
swapped = {} # generation -> when the metrics showed it
lock = threading.Lock()
def client():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while not stop:
        t0 = time.monotonic()
        c.request("POST", "/v1/detect/shadow_ai", body=A)
        r = c.getresponse(); body = r.read()
        with lock:
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.status == 200:
                scores.add(json.loads(body)["threat_score"])
                answers.append((t0, int(r.getheader("X-Trawl-Engine")), json.loads(body)["threat_score"]))
def reloads():
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/v1/metrics"); m = json.loads(c.getresponse().read()); c.close()
    return m["engine"]["reloads"], m["engine"]["reload_failures"]
def write(text):
    with open(conf + ".tmp", "w") as f:
        f.write("[serve]\nlisten = 127.0.0.1:0\nthreads = 2\n" + only_shadow + text)
    os.rename(conf + ".tmp", conf)
def reload(want):
    os.kill(pid, signal.SIGHUP)
    deadline = time.time() + 60
    while reloads() != want and time.time() < deadline:
        time.sleep(0.02)
    swapped[want[0]] = time.monotonic()
    return reloads() == want
threads = [threading.Thread(target=client) for _ in range(2)]
for t in threads: t.start()
ok = True
for i in range(6):
    write("[shadow_ai]\nallow = api.openai.com\n" if i % 2 == 0 else "[shadow_ai]\nenabled = true\n")
    time.sleep(0.1)
    ok = reload((i + 1, 0)) and ok
time.sleep(0.1)
stop = True
for t in threads: t.join()
print("reloads", ok, "statuses", sorted(statuses), "verdicts", sorted(scores))
# The contract (docs/serve.md, "SIGHUP"): a request that begins after a
# swap is answered by that engine or a newer one, cached answers included,
# and every answer is the verdict of the configuration of the generation
# it names (X-Trawl-Engine; odd generations allowlist: 0, even ones flag:
# 0.95).
late = [(t, g, sc) for t, g, sc in answers for k, ts in swapped.items() if t > ts and g < k]
wrong = [(g, sc) for t, g, sc in answers if sc != (0 if g % 2 else 0.95)]
print("contract", len(answers) > 0, late[:3], wrong[:3])
# the last config (i = 5) does not allowlist: flagged, and not from the
# cache of an earlier engine with the same config
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
def score():
    c.request("POST", "/v1/detect/shadow_ai", body=A)
    r = c.getresponse(); d = json.loads(r.read())
    return r.status, d["threat_score"]
print("after", *score())
write("[shadow_ai]\nallow = api.openai.com\n")
print("allowlisted", reload((7, 0)), *score())
write("[shadow_ai]\nallow = api.openai.com\nenabled = maybe\n")
os.kill(pid, signal.SIGHUP)
deadline = time.time() + 60
while reloads() != (7, 1) and time.time() < deadline:
    time.sleep(0.02)
print("broken", reloads(), *score())
PY
check reload-loop "reloads True statuses [200] verdicts [0, 0.95]" "$(sed -n 1p "$dir/reload")"
check reload-contract "contract True [] []" "$(sed -n 2p "$dir/reload")"
check reload-after "after 200 0.95" "$(sed -n 3p "$dir/reload")"
check reload-allowlisted "allowlisted True 200 0" "$(sed -n 4p "$dir/reload")"
check reload-broken "broken (7, 1) 200 0" "$(sed -n 5p "$dir/reload")"
check reload-log "trawl serve: $dir/etc/serve.conf: shadow_ai.enabled: expected true or false, got 'maybe'
trawl serve: SIGHUP: detectors not reloaded" "$(grep -A1 maybe "$dir/err")"
stop
check reload-rc 0 "$rc"

[ $fails -eq 0 ] && echo "serve_config: all passed"
exit $fails
