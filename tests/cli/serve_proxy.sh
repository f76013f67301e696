#!/bin/sh
# serve_proxy.sh TRAWL -- trusted proxies: Forwarded / X-Forwarded-For are
# believed only from a configured proxy, and only as far as the chain of
# trusted hops goes; the client they name is what the access log, the
# events and the per-address limit see. Over real HTTP on an ephemeral
# loopback port; the "proxy" is curl on 127.0.0.1, an untrusted client
# curl bound to 127.0.0.2.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }
python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null ||
    { echo "SKIP: cannot bind 127.0.0.2"; exit 0; }
A='{"urls":["https://api.openai.com/v1/chat/completions"]}'
post() { curl -s -m 10 -o /dev/null "$@" --data-binary "$A" "$base/v1/detect"; }
last_client() { tail -n1 "$dir/access" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client"])'; }

# no trusted proxy: the headers are ignored
serve_start --listen 127.0.0.1:0 --threads 2 --access-log "$dir/access"
post -H 'X-Forwarded-For: 203.0.113.7'
check untrusted-default 127.0.0.1 "$(last_client)"
post -H 'Forwarded: for=203.0.113.7'
check untrusted-default-fwd 127.0.0.1 "$(last_client)"
kill -TERM "$pid"; wait "$pid"; pid=

rm -f "$dir/access"
serve_start --listen 127.0.0.1:0 --threads 2 --access-log "$dir/access" \
    --trusted-proxy 127.0.0.1 --trusted-proxy 10.0.0.0/8,192.168.0.0/16 --sse-heartbeat-ms 200
curl -s -N -m 20 "$base/v1/events" >"$dir/ev" &
cpid=$!
sleep 0.3
post -H 'X-Forwarded-For: 203.0.113.7'
check xff 203.0.113.7 "$(last_client)"
# the client's own entry is to the left of what the proxy saw: never reached
post -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.7'
check xff-rightmost 203.0.113.7 "$(last_client)"
# trusted hops are walked past; two headers are one list
post -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.9' -H 'X-Forwarded-For: 10.1.2.3, 192.168.7.7'
check xff-chain 203.0.113.9 "$(last_client)"
post -H 'Forwarded: for=198.51.100.1, for="[2001:db8::1]:4711";proto=https' -H 'X-Forwarded-For: 203.0.113.7'
check forwarded-v6 2001:db8::1 "$(last_client)"
post -H 'Forwarded: for=unknown'
check forwarded-unknown 127.0.0.1 "$(last_client)"
post -H 'X-Forwarded-For: not-an-address'
check xff-garbage 127.0.0.1 "$(last_client)"
# from an untrusted peer the header is ignored
post --interface 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.7'
check untrusted-peer 127.0.0.2 "$(last_client)"
sleep 0.3
# the events carry the same clients
grep '^data: ' "$dir/ev" | cut -c7- | python3 -c 'import json,sys; print(" ".join(json.loads(l)["client"] for l in sys.stdin))' >"$dir/clients"
check event-clients "203.0.113.7 203.0.113.7 203.0.113.9 2001:db8::1 127.0.0.1 127.0.0.1 127.0.0.2" "$(cat "$dir/clients")"
kill -TERM "$pid"; wait "$pid"; pid=
wait "$cpid"

# the per-address limit counts a proxied client's requests in progress, not
# the proxy's connections: --max-per-ip 2, three slow uploads relayed for
# one client -> the third is refused; for three clients -> all pass
serve_start --listen 127.0.0.1:0 --threads 2 --trusted-proxy 127.0.0.1 --max-per-ip 2
python3 - "$port" >"$dir/out" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def held(client):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\nContent-Length: 20\r\n\r\n{\"prompt\"" % client)
    return s
def status(s):
    s.settimeout(0.5)
    try:
        d = s.recv(100)
        return d.split()[1].decode() if d else "closed"
    except socket.timeout:
        return "waiting"
same = [held(b"203.0.113.7") for _ in range(3)]
time.sleep(0.3)
# which of the three is refused depends on the order the server's threads
# read their headers: the count is the contract
print("same", sorted(status(s) for s in same))
for s in same:
    s.close()
time.sleep(0.3)
many = [held(b"203.0.113.%d" % i) for i in range(3)]
time.sleep(0.3)
print("many", sorted(status(s) for s in many))
PY
check relayed-limit "same ['429', 'waiting', 'waiting']
many ['waiting', 'waiting', 'waiting']" "$(cat "$dir/out")"
check relayed-429 '429 {"error":"rate_limited","message":"too many requests in progress from 198.51.100.4 (limit 2)"}' \
    "$(python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
hold = []
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /v1/detect HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.4\r\nContent-Length: 20\r\n\r\n{")
    hold.append(s)
time.sleep(0.3)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.4\r\n\r\n")
s.settimeout(5)
d = s.recv(4096).decode()
print(d.split()[1], d.split("\r\n\r\n", 1)[1])
PY
)"
kill -TERM "$pid"; wait "$pid"; pid=

"$T" serve --trusted-proxy 10.0.0.0/33 2>"$dir/e"; rc=$?
check bad-proxy "2 trawl serve: trusted proxies: '10.0.0.0/33' is not an address or network (a.b.c.d[/bits] or an IPv6 address[/bits])" "$rc $(cat "$dir/e")"

[ $fails -eq 0 ] && echo "serve_proxy: all passed"
exit $fails
