# lib/asan.sh -- sourced by tests/cli/*.sh after T=$1: asan=1 when $T is
# an AddressSanitizer build (make asan), else 0. Such a build reserves
# terabytes of shadow address space (no `ulimit -v`) and keeps freed blocks
# in a quarantine (RSS grows several times a release build's).
asan=0
grep -q __asan_init "$T" 2>/dev/null && asan=1
