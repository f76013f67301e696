"""pytest setup: run against the build tree without installing.

`make check` (CTest) sets TRAWL_LIBRARY to build/lib/libtrawl.so.0 and
PYTHONPATH to build/python (the generated _trawl_cffi module) and python/
(the package). Run by hand the same way:

    TRAWL_LIBRARY=build/lib/libtrawl.so.0 PYTHONPATH=build/python:python \\
        /usr/bin/python3 -m pytest -q python/tests
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))  # python/, for `import trawl`
if "TRAWL_LIBRARY" not in os.environ:
    cand = os.path.join(ROOT, "build", "lib", "libtrawl.so.0")
    if os.path.exists(cand):
        os.environ["TRAWL_LIBRARY"] = cand

DATA = os.path.join(ROOT, "tests", "data")


def levenshtein(a, b):
    """Edit distance by the textbook dynamic program: the tests' oracle."""
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return prev[-1]
