#!/bin/sh
# serve_dashboard_browser.sh TRAWL -- the dashboard in a real browser:
# Debian's headless Chromium driven by npm's playwright-core
# (tests/browser/dashboard.cjs) loads GET /dashboard from `trawl serve` on an
# ephemeral loopback port, with API keys on (the key typed as Basic
# credentials). Passes when the page loads with no console error and nothing
# requested beyond 127.0.0.1, and a threat POSTed to /v1/detect appears in
# the events table within one second. Skips (with a message) when chromium,
# node or playwright-core (scripts/deps.sh installs them) is missing.
# SCREENSHOT=FILE.png also drives a few seconds of traffic and saves the page.
set -u
T=$1
. "$(dirname "$0")/lib/serve.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium is not installed (scripts/deps.sh)"; exit 0; }
command -v node >/dev/null || { echo "SKIP: node is not installed"; exit 0; }
[ -d "$root/tests/browser/node_modules/playwright-core" ] ||
    { echo "SKIP: tests/browser/node_modules/playwright-core is missing (scripts/deps.sh)"; exit 0; }
digest() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
printf 'ops sha256:%s\n' "$(digest dashboard-test-key)" >"$dir/keys"
if [ -n "${SCREENSHOT:-}" ]; then
    : >"$dir/det.conf" # every detector, for a picture worth looking at
else # shadow_ai alone: the server starts in milliseconds
    printf '[prompt_injection]\nenabled = false\n[polymorphic]\nenabled = false\n' >"$dir/det.conf"
    printf '[synthetic_media]\nenabled = false\n[ai_vs_ai]\nenabled = false\n' >>"$dir/det.conf"
fi
serve_start --config "$dir/det.conf" --listen 127.0.0.1:0 --threads 2 --dashboard \
    --api-keys "$dir/keys"
timeout 120 node "$root/tests/browser/dashboard.cjs" "$base" dashboard-test-key ${SCREENSHOT:+"$SCREENSHOT"}
rc=$?
kill "$pid"; wait "$pid" 2>/dev/null; pid= # TERM reaches trawl through timeout(1); KILL would not
[ "$rc" = 0 ] && echo "serve_dashboard_browser: all passed"
exit "$rc"
