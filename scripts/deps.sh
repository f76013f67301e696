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
PKGS="$PKGS libdivsufsort-dev python3-scipy python3-sklearn python3-levenshtein binwalk librsvg2-bin"  # issue 13 (trawl analyze): suffix arrays; SciPy / scikit-learn oracles; binwalk -E bench peer; SVG to PNG for docs
PKGS="$PKGS tshark"  # issue 14: loads the dissector `trawl infer --lua` writes (tests/cli/infer_lua.sh)
PKGS="$PKGS hyperfine"  # issue 18: bench/shell.sh times whole processes
PKGS="$PKGS nginx-light libnginx-mod-http-js redis-server libhiredis-dev"  # issue 16: the fleet (deploy/nginx, njs inline screening, the Redis tier)
PKGS="$PKGS libcapstone-dev gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-avr avr-libc arduino-core-avr gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf gcc-aarch64-linux-gnu gcc-mips-linux-gnu gcc-mipsel-linux-gnu gcc-powerpc-linux-gnu gcc-xtensa-lx106"  # issue 15 (trawl firmware): Capstone; cross compilers for the test firmware and the architecture corpus
PKGS="$PKGS python3-onnx python3-numpy nodejs"  # issue 12: onnx.checker for `trawl model export`; nodejs (with its npm) for onnxruntime-node, installed by node_deps below
PKGS="$PKGS python3-cffi python3-cffi-backend python3-pytest python3-numpy chromium"  # issue 17: python3-cffi generates the Python binding's module at build time (only python3-cffi-backend is needed to use it); pytest runs its tests; chromium is the dashboard test's browser
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"  # issue 17: npm for playwright-core, unless some Node.js already brings it

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

# issue 12: ONNX Runtime for the round-trip test (tests/cli/model_onnx.sh),
# from npm, without its post-install step (which downloads; the package
# ships its native binding for linux-x64), outside the source tree.
node_deps() {
NODE_DIR=${TRAWL_NODE_DIR:-/opt/trawl/node}
if [ ! -d "$NODE_DIR/node_modules/onnxruntime-node" ] && command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] || [ -w "$(dirname "$NODE_DIR")" ]; then
        mkdir -p "$NODE_DIR"
        echo "deps.sh: npm install --ignore-scripts onnxruntime-node@1.31.1 into $NODE_DIR" >&2
        npm install --silent --ignore-scripts --no-audit --no-fund --prefix "$NODE_DIR" \
            onnxruntime-node@1.31.1 || echo "deps.sh: onnxruntime-node not installed" >&2
    fi
fi
}

# issue 17: playwright-core from npm drives /usr/bin/chromium in the dashboard
# test (it never downloads a browser); installed into tests/browser, which
# git ignores. A failure only warns: that test then skips and says why.
browser_deps() {
    root=$(cd "$(dirname "$0")/.." && pwd)
    [ -d "$root/tests/browser/node_modules/playwright-core" ] && return 0
    command -v npm >/dev/null 2>&1 || return 0
    echo "deps.sh: npm install playwright-core (tests/browser)" >&2
    (cd "$root/tests/browser" && npm install --no-audit --no-fund --silent) ||
        echo "deps.sh: npm install failed; the browser test will be skipped" >&2
}

if [ -z "$missing" ] && [ -z "$remove" ]; then
    node_deps
    browser_deps
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
node_deps
browser_deps
