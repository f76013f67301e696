"""bench_python.py -- trawl from Python against the same work in pure Python
(re, a struct loop, bytes.find) in the same run, and Oscura's figures as the
seed measured them (shared/peers/oscura.md; Oscura is not installed here).

Run by `make bench` (bench/run.sh) or alone:
    TRAWL_LIBRARY=build/lib/libtrawl.so.0 PYTHONPATH=build/python:python \\
        /usr/bin/python3 bench/python/bench_python.py
BENCH_RUNS (default 5) repetitions; medians are printed with min..max.
"""

import os
import random
import re
import statistics
import struct
import sys
import time

import trawl
from trawl.compat import oscura as osc

RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def timed(fn, runs=RUNS):
    """(median, min, max) seconds of fn() over runs calls."""
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), min(ts), max(ts)


def per_call(fn, n=20000):
    """Median microseconds per call over 5 batches of n calls."""
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        ts.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(ts), min(ts), max(ts)


def row(name, nbytes, mine, peer=None, peer_name="", published=None, peer_bytes=None):
    """Throughputs in MB/s (1e6 bytes) from (median, min, max) seconds;
    peer_bytes: what the peer ran on, when less than nbytes."""
    mb = nbytes / 1e6
    line = f"{name:<44} trawl {mb / mine[0]:>9.1f} MB/s ({mb / mine[2]:.1f}..{mb / mine[1]:.1f})"
    if peer:
        pb = (peer_bytes or nbytes) / 1e6
        rate = pb / peer[0]
        line += (f"   {peer_name} {rate:>8.4g} MB/s ({pb / peer[2]:.4g}..{pb / peer[1]:.4g})"
                 f"   x{(mb / mine[0]) / rate:,.1f}")
    if published:
        line += f"   Oscura (seed) {published[0]} MB/s: x{mb / mine[0] / published[0]:,.0f}"
    print(line, flush=True)


def overhead():
    print("## per-call overhead (microseconds per call; median of 5 batches, min..max)")
    small = b"0123456789abcdef"
    db = trawl.compile(r"\xAA\x55.{2}\xFF")
    rx = re.compile(rb"\xAA\x55.{2}\xFF", re.DOTALL)
    cases = [
        ("Database.scan(16 bytes), no match", lambda: db.scan(small)),
        ("Database.count(16 bytes)", lambda: db.count(small)),
        ("re.search(16 bytes), same pattern", lambda: rx.search(small)),
        ("compat BinaryRegex.search (cached db)",
         lambda: osc.BinaryRegex(r"\xAA\x55.{2}\xFF").search(small)),
        ("TLV.parse(one 6-byte record)", lambda f=trawl.TLV(): f.parse(b"\x01\x04\xaa\xbb\xcc\xdd")),
        ("struct loop, one 6-byte record", lambda: _tlv_loop(b"\x01\x04\xaa\xbb\xcc\xdd")),
    ]
    for name, fn in cases:
        m, lo, hi = per_call(fn)
        print(f"{name:<44} {m:7.2f} us  ({lo:.2f}..{hi:.2f})", flush=True)
    eng = trawl.Engine("[prompt_injection]\nenabled = false\n[polymorphic]\nenabled = false\n"
                       "[synthetic_media]\nenabled = false\n[ai_vs_ai]\nenabled = false\n")
    q = {"urls": ["https://example.com/a"]}
    m, lo, hi = per_call(lambda: eng.detect(q), 5000)
    c = statistics.median(eng.detect(q)["latency_us"] for _ in range(200))
    print(f"{'Engine.detect (shadow_ai only)':<44} {m:7.2f} us  ({lo:.2f}..{hi:.2f});"
          f" the detectors inside: {c} us", flush=True)


def _tlv_loop(buf):
    """A pure-Python TLV reader (1-byte type, 1-byte length), as a Python
    user would write it: struct.unpack_from and slices."""
    out, off, n = [], 0, len(buf)
    hdr = struct.Struct(">BB")
    while off + 2 <= n:
        t, ln = hdr.unpack_from(buf, off)
        end = off + 2 + ln
        if end > n:
            break
        out.append((t, buf[off + 2:end], off))
        off = end
    return out


def throughput():
    print("\n## throughput (MB/s = 1e6 bytes/s; median of %d runs, min..max; xN = trawl / peer)"
          % RUNS)
    rng = random.Random(1)
    data = rng.randbytes(64 << 20)
    pat = r"\xAA\x55.{10}\xFF\xFE"
    db = trawl.compile(pat)
    rx = re.compile(rb"\xAA\x55.{10}\xFF\xFE", re.DOTALL)
    assert db.count(data) == sum(1 for _ in rx.finditer(data))
    row("regex \\xAA\\x55.{10}\\xFF\\xFE, 64 MiB random", len(data), timed(lambda: db.count(data)),
        timed(lambda: sum(1 for _ in rx.finditer(data)), 3), "re", (2180,))
    lit = [b"\xde\xad\xbe\xef", b"\x7fELF", b"MZ\x90\x00", b"\x1f\x8b\x08", b"PK\x03\x04"]
    mdb = trawl.compile(lit, syntax="literal")

    def finds():
        c = 0
        for p in lit:
            i = data.find(p)
            while i >= 0:
                c += 1
                i = data.find(p, i + 1)
        return c
    assert sum(mdb.counts(data, overlap=True)) == finds()
    row("5 literals (overlapping), 64 MiB random", len(data),
        timed(lambda: mdb.counts(data, overlap=True)), timed(finds, 3), "bytes.find loop")

    tlv = b"\x01\x04\xaa\xbb\xcc\xdd" * 10000
    f = trawl.TLV()
    assert len(f.parse(tlv)) == len(_tlv_loop(tlv)) == len(osc.parse_tlv(tlv))
    row("TLV 60 kB (Oscura's case), Unit objects", len(tlv), timed(lambda: f.parse(tlv)),
        timed(lambda: _tlv_loop(tlv)), "struct loop", (6.60,))
    row("TLV 60 kB, compat parse_tlv", len(tlv), timed(lambda: osc.parse_tlv(tlv)),
        timed(lambda: _tlv_loop(tlv)), "struct loop", (6.60,))
    big = tlv * 100
    row("TLV 6 MB, NumPy arrays()", len(big), timed(lambda: f.arrays(big)),
        timed(lambda: _tlv_loop(big), 3), "struct loop", (6.60,))

    recs = rng.randbytes(1 << 20)
    r = trawl.Records(128)

    def py_records():
        return [recs[i:i + 128] for i in range(0, len(recs), 128)]
    row("128-byte records, 1 MiB, compat stream_records", len(recs),
        timed(lambda: list(osc.stream_records(recs, 128))), timed(py_records), "slice loop",
        (1280,))
    row("128-byte records, 1 MiB, Records.arrays()", len(recs), timed(lambda: r.arrays(recs)),
        timed(py_records), "slice loop", (1280,))

    fz = rng.randbytes(100_000)
    p8 = bytes(range(0x41, 0x49))
    fdb = trawl.fuzzy_compile(p8, 2)
    small = fz[:1000]
    row("fuzzy 8-byte pattern k=2, 100 kB", len(fz), timed(lambda: fdb.scan(fz)),
        timed(lambda: _fuzzy_python(small, p8, 2), 3), "Python DP (1 kB)", (0.0059,),
        peer_bytes=len(small))


def _fuzzy_python(data, p, k):
    """Every window's edit distance by a plain DP -- the work Oscura does
    (scaled: run on 1 kB, reported per byte as if on all)."""
    m = len(p)
    hits = 0
    for i in range(len(data)):
        for L in range(m - k, m + k + 1):
            w = data[i:i + L]
            if len(w) < L:
                break
            prev = list(range(L + 1))
            for a in range(1, m + 1):
                cur = [a] + [0] * L
                for b in range(1, L + 1):
                    cur[b] = min(prev[b] + 1, cur[b - 1] + 1, prev[b - 1] + (p[a - 1] != w[b - 1]))
                prev = cur
            hits += prev[L] <= k
    return hits


def main():
    print(f"trawl {trawl.LIBRARY_VERSION} from {trawl.LIBRARY_PATH}; Python {sys.version.split()[0]}")
    overhead()
    throughput()
    print("\nNotes: the fuzzy Python peer runs on 1 kB and its MB/s is per byte of that kB;"
          " Oscura's figures are the seed's (shared/peers/oscura.md), not this run's.")


if __name__ == "__main__":
    main()
