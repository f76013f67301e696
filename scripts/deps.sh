#!/bin/sh
# deps.sh -- install the Debian packages trawl needs to build, test and
# benchmark, when they are missing. Idempotent; prints what it would run when
# it is not root.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libvectorscan-dev libpcre2-dev libcmocka-dev libpcap-dev libcjson-dev
libxxhash-dev libyara-dev libtre-dev python3
libmicrohttpd-dev curl wrk"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing" >&2
    echo "deps.sh: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
