#!/bin/sh
# serve_attack_smuggle.sh TRAWL -- request smuggling probes against `trawl
# serve` on an ephemeral loopback port (tests/cli/lib/attack.py smuggle).
# Each probe is one connection carrying an ambiguously framed request, most
# followed by a hidden pipelined request; every ambiguous one must get a
# single 400 and a closed connection, at once, before a handler runs (the
# hidden request never runs). Before: duplicate Content-Length answered
# [400, 200] (the hidden request ran), Content-Length with chunked kept
# the connection, "gzip" and "chunked " hung until the idle timeout, a
# header name with a space before its colon was ignored. Controls (well
# framed requests, pipelined) keep their connection and are all answered.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 0; }

serve_start --listen 127.0.0.1:0 --threads 2
python3 "$(dirname "$0")/lib/attack.py" smuggle --port "$port" --wait 1 >"$dir/out"
check smuggling "dup-cl: [400] closed fast
dup-cl-same: [400] closed fast
cl-te: [400] closed fast
te-gzip: [400] closed fast
te-chunked-space: [400] closed fast
te-list: [400] closed fast
te-dup: [400] closed fast
te-http10: [400] closed fast
te-space-name: [400] closed fast
te-folded: [400] closed fast
cl-folded: [400] closed fast
te-get: [200, 200] open slow
cl-get: [200] open slow
ok-cl: [200, 200] open slow
ok-chunked: [200, 200] open slow" "$(cat "$dir/out")"
# the refusal says why, and the metrics count it
check framing-body '400 {"error":"bad_request","message":"ambiguous request framing: both Content-Length and Transfer-Encoding"}' \
    "$(curl -s -m 5 -H 'Transfer-Encoding: chunked' -H 'Content-Length: 2' --data-binary '{}' -o "$dir/b" -w '%{http_code}' "$base/v1/detect"; printf ' %s' "$(cat "$dir/b")")"
check framing-metrics 12 "$(curl -s -m 5 "$base/v1/metrics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"]["refused_framing"])')"
kill -TERM "$pid"; wait "$pid"; pid=

[ $fails -eq 0 ] && echo "serve_attack_smuggle: all passed"
exit $fails
