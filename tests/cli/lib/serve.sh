# lib/serve.sh -- sourced by the tests/cli/serve_*.sh scripts (after they set
# T=$1): a temporary directory $dir removed on exit together with a server
# still running, check(), and serve_start, which starts `trawl serve` with
# the given options under `timeout` and waits for its "listening on" line.
# Not a test itself: the CLI test glob takes tests/cli/*.sh only.
dir=$(mktemp -d)
pid=
# $pid is the `timeout` wrapper: TERM reaches the server through it, but a
# KILL would leave the server running (and ctest waiting on its output).
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null
        sleep 0.2
        pkill -KILL -P "$pid" 2>/dev/null
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
fails=0
check() { # name expected actual
    if [ "$2" != "$3" ]; then
        echo "FAIL $1"; echo "  want: $2"; echo "  got:  $3"; fails=$((fails + 1))
    fi
}

# serve_start OPTIONS...: sets pid (the timeout wrapper), port and base.
serve_start() {
    rm -f "$dir/err"
    timeout 180 "$T" serve "$@" 2>"$dir/err" &
    pid=$!
    i=0
    while ! grep -q '^listening on 127.0.0.1:' "$dir/err" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 1200 ] && { echo "FAIL server did not start"; cat "$dir/err"; exit 1; }
        sleep 0.05
    done
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$dir/err")
    base="http://127.0.0.1:$port"
}
