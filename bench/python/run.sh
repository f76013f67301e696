#!/bin/sh
# run.sh -- bench_python.py against the build tree with Debian's
# interpreter (the one that has python3-cffi-backend); says why when it
# cannot run.
set -eu
[ -f build/python/_trawl_cffi.py ] || { echo "SKIP: build/python/_trawl_cffi.py missing (python3-cffi at build time)"; exit 0; }
TRAWL_LIBRARY=build/lib/libtrawl.so.0 PYTHONPATH=build/python:python \
    /usr/bin/python3 bench/python/bench_python.py
