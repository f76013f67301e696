# lib/check.sh -- sourced by tests/cli/*.sh (after they set T=$1): a
# temporary directory $dir removed on exit, a failure count $fails, and
# check NAME EXPECTED ACTUAL. Not a test itself: the CLI test glob takes
# tests/cli/*.sh only.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { # name expected actual
    if [ "$2" != "$3" ]; then
        echo "FAIL $1"; echo "  want: $2"; echo "  got:  $3"; fails=$((fails + 1))
    fi
}
