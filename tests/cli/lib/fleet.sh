# lib/fleet.sh -- sourced by the tests that run several servers (after
# lib/serve.sh): trawl instances, a stub LLM backend and nginx, each on a
# free 127.0.0.1 port, each under `timeout`, all stopped on exit.
#   trawl_start NAME OPTIONS...   sets ${NAME}_pid, ${NAME}_port
#   stub_start                    sets stub_port (tests/cli/lib/stub_llm.py)
#   nginx_start CONF [SED...]     copies deploy/nginx/CONF into $dir/ng, maps
#                                 8080 -> a free port (ng_port), 8081..8083 ->
#                                 t1..t3, 9000 -> the stub, applies the extra
#                                 sed expressions, starts nginx -p $dir/ng
#   nginx_stop
#   redis_start / redis_stop      redis-server on a free port (redis_port),
#                                 no persistence, files in $dir
#   free_port                     prints a free port
#   trawl_kill NAME SIGNAL        stops an instance (KILL: the server itself,
#                                 not only its `timeout` wrapper)
# Only the processes still running are signalled at exit: a pid that was
# waited for may belong to someone else by then.
fleet_cleanup() {
    for n in t1 t2 t3 t4; do trawl_kill $n TERM; done
    redis_stop
    nginx_stop
    [ -n "${stub_pid:-}" ] && { kill "$stub_pid" 2>/dev/null; wait "$stub_pid" 2>/dev/null; }
    cleanup
}
trap fleet_cleanup EXIT
repo=$(cd "$(dirname "$0")/../.." && pwd)

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

trawl_start() { # NAME OPTIONS...
    n=$1; shift
    rm -f "$dir/$n.err"
    timeout 300 "$T" serve --listen 127.0.0.1:0 "$@" 2>"$dir/$n.err" &
    eval "${n}_pid=$!"
    i=0
    while ! grep -q '^listening on 127.0.0.1:' "$dir/$n.err" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 1200 ] && { echo "FAIL $n did not start"; cat "$dir/$n.err"; exit 1; }
        sleep 0.05
    done
    eval "${n}_port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/$n.err")"
}

trawl_kill() { # NAME SIGNAL
    eval "p=\${${1}_pid:-}"
    [ -n "$p" ] || return 0
    if [ "$2" = KILL ]; then # timeout does not pass KILL on: signal its child
        c=$(pgrep -P "$p" 2>/dev/null)
        [ -n "$c" ] && kill -KILL $c 2>/dev/null
    fi
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    eval "${1}_pid="
}

stub_start() {
    mkdir -p "$dir/stub"
    timeout 300 /usr/bin/python3 "$repo/tests/cli/lib/stub_llm.py" "$dir/stub/port" "$dir/stub" &
    stub_pid=$!
    i=0
    while [ ! -s "$dir/stub/port" ]; do
        i=$((i + 1)); [ $i -gt 400 ] && { echo "FAIL stub did not start"; exit 1; }
        sleep 0.05
    done
    stub_port=$(cat "$dir/stub/port")
}

ng_pid=
nginx_start() { # CONF [SED-EXPR...]
    conf=$1; shift
    nginx_stop
    rm -rf "$dir/ng"
    mkdir -p "$dir/ng/conf" "$dir/ng/logs" "$dir/ng/tmp" "$dir/ng/js"
    cp "$repo/deploy/nginx/js/"*.js "$dir/ng/js/"
    ng_port=$(free_port)
    set -- -e "s/127\.0\.0\.1:8080/127.0.0.1:$ng_port/" \
           -e "s/127\.0\.0\.1:8081/127.0.0.1:${t1_port:-1}/" \
           -e "s/127\.0\.0\.1:8082/127.0.0.1:${t2_port:-1}/" \
           -e "s/127\.0\.0\.1:8083/127.0.0.1:${t3_port:-1}/" \
           -e "s/127\.0\.0\.1:9000/127.0.0.1:${stub_port:-1}/" \
           -e "s|js_path \"js/\"|js_path \"$dir/ng/js/\"|" "$@"
    sed "$@" "$repo/deploy/nginx/$conf" >"$dir/ng/conf/$conf"
    timeout 300 nginx -p "$dir/ng" -c "$dir/ng/conf/$conf" -g 'daemon off;' 2>"$dir/ng/stderr" &
    ng_pid=$!
    i=0
    while ! curl -s -o /dev/null -m 1 "http://127.0.0.1:$ng_port/" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 200 ] || ! kill -0 "$ng_pid" 2>/dev/null; then
            echo "FAIL nginx ($conf) did not start"; cat "$dir/ng/stderr" "$dir/ng/logs/error.log" 2>/dev/null; exit 1
        fi
        sleep 0.05
    done
    ng="http://127.0.0.1:$ng_port"
}

nginx_stop() {
    [ -n "$ng_pid" ] && { kill "$ng_pid" 2>/dev/null; wait "$ng_pid" 2>/dev/null; }
    ng_pid=
}

redis_pid=
redis_start() {
    redis_port=$(free_port)
    timeout 300 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$dir" --logfile "$dir/redis.log" &
    redis_pid=$!
    i=0
    while ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; do
        i=$((i + 1)); [ $i -gt 200 ] && { echo "FAIL redis did not start"; exit 1; }
        sleep 0.05
    done
}

redis_stop() {
    [ -n "$redis_pid" ] && { kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; }
    redis_pid=
}
