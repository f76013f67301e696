#!/bin/sh
# deps.sh -- install the Debian packages trawl needs to build, test and
# benchmark, when they are missing. Idempotent; prints what it would run when
# it is not root.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
libhyperscan-dev libpcre2-dev libcmocka-dev libpcap-dev libcjson-dev
libxxhash-dev libyara-dev libtre-dev python3
libmicrohttpd-dev curl wrk"
# One line per issue that added packages (eases merges).
PKGS="$PKGS libdivsufsort-dev python3-scipy python3-sklearn binwalk librsvg2-bin"  # issue 13 (trawl analyze): suffix arrays; SciPy / scikit-learn oracles; binwalk -E bench peer; SVG to PNG for docs
PKGS="$PKGS tshark"  # issue 14: loads the dissector `trawl infer --lua` writes (tests/cli/infer_lua.sh)
PKGS="$PKGS hyperfine"  # issue 18: bench/shell.sh times whole processes

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# Vectorscan 5.4.9 (libvectorscan-dev) misses matches and aborts on this
# project's differential tests on AVX-512 machines; Intel Hyperscan 5.4.0 has
# the same API and passes them (docs/pattern-syntax.md). The two packages
# conflict, and Vectorscan's "Provides: libhyperscan-dev" hides the switch
# from apt, so Vectorscan is removed first.
remove=""
if dpkg-query -W -f='${Status}' libvectorscan-dev 2>/dev/null | grep -q "install ok installed"; then
    remove="libvectorscan-dev libvectorscan5"
fi

if [ -z "$missing" ] && [ -z "$remove" ]; then
    exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
    echo "deps.sh: missing packages:$missing ${remove:+(and to remove: $remove)}" >&2
    [ -n "$remove" ] && echo "deps.sh: run as root:  apt-get remove -y $remove" >&2
    echo "deps.sh: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$remove" ]; then
    echo "deps.sh: removing $remove (replaced by libhyperscan-dev)" >&2
    apt-get remove -y -qq $remove
fi
if [ -n "$missing" ]; then
    echo "deps.sh: installing$missing" >&2
    apt-get update -qq
    $cmd
fi
