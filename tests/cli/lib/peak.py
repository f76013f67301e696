#!/usr/bin/env python3
"""peak.py [--stdin FILE] [--limit-s S] CMD ARGS... -- runs CMD and prints
"rc=N peak_mb=M seconds=T" on stderr: its exit status, its peak resident
memory (ru_maxrss of the child) and its wall time; CMD's stdout passes
through. A child still running after --limit-s seconds (default 120) is
killed (rc=killed). Used by the CLI tests to pin memory bounds."""
import os
import subprocess
import sys
import time

args = sys.argv[1:]
stdin, limit = None, 120.0
while args and args[0].startswith("--"):
    if args[0] == "--stdin":
        stdin = open(args[1], "rb")
    elif args[0] == "--limit-s":
        limit = float(args[1])
    args = args[2:]
t0 = time.monotonic()
p = subprocess.Popen(args, stdin=stdin)
rc = None
while rc is None:
    pid, status, ru = os.wait4(p.pid, os.WNOHANG)
    if pid:
        rc = os.waitstatus_to_exitcode(status)
        break
    if time.monotonic() - t0 > limit:
        p.kill()
        pid, status, ru = os.wait4(p.pid, 0)
        rc = "killed"
        break
    time.sleep(0.01)
print("rc=%s peak_mb=%.1f seconds=%.2f" % (rc, ru.ru_maxrss / 1024.0, time.monotonic() - t0),
      file=sys.stderr)
