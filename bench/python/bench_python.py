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


def per_call(fn, n=20000):
    """Median microseconds per call over 5 batches of n calls."""
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        ts.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(ts), min(ts), max(ts)


def paired(mine_fn, peer_fn, runs=RUNS):
    """Runs trawl and its peer alternately (so both see the same moment of
    a shared, noisy machine): their (median, min, max) seconds and the
    median, min and max of the per-pair ratios peer / trawl."""
    mine, peer, ratios = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        mine_fn()
        t1 = time.perf_counter()
        peer_fn()
        t2 = time.perf_counter()
        mine.append(t1 - t0)
        peer.append(t2 - t1)
        ratios.append((t2 - t1) / (t1 - t0))
    st = lambda v: (statistics.median(v), min(v), max(v))  # noqa: E731
    return st(mine), st(peer), st(ratios)


def row(name, nbytes, mine_fn, peer_fn, peer_name, published=None, peer_bytes=None,
        runs=RUNS):
    """One line: MB/s (1e6 bytes) medians with min..max, the median of the
    paired ratios (trawl / peer, per byte) with its range, and the seed's
    Oscura figure. peer_bytes: what the peer ran on, when less."""
    mine, peer, ratio = paired(mine_fn, peer_fn, runs)
    mb, pb = nbytes / 1e6, (peer_bytes or nbytes) / 1e6
    scale = pb / mb  # peer time per byte of ours
    line = (f"{name:<44} trawl {mb / mine[0]:>9.1f} MB/s ({mb / mine[2]:.1f}..{mb / mine[1]:.1f})"
            f"   {peer_name} {pb / peer[0]:>8.4g} MB/s ({pb / peer[2]:.4g}..{pb / peer[1]:.4g})"
            f"   x{ratio[0] / scale:,.1f} ({ratio[1] / scale:,.1f}..{ratio[2] / scale:,.1f})")
    if published:
        line += f"   Oscura (seed) {published[0]} MB/s: x{mb / mine[0] / published[0]:,.1f}"
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


def _tlv_loop(buf, record=None):
    """A pure-Python TLV reader (1-byte type, 1-byte length), as a Python
    user would write it: struct.unpack_from and slices; a tuple per record,
    or with record=TLVRecord the objects Oscura's parse_tlv returns."""
    out, off, n = [], 0, len(buf)
    hdr = struct.Struct(">BB")
    while off + 2 <= n:
        t, ln = hdr.unpack_from(buf, off)
        end = off + 2 + ln
        if end > n:
            break
        out.append((t, buf[off + 2:end], off) if record is None else
                   record(t, ln, buf[off + 2:end], off))
        off = end
    return out


def throughput():
    print("\n## throughput (MB/s = 1e6 bytes/s; medians of %d+ runs, min..max; xN = the median"
          " of the paired ratios trawl / peer, run alternately, with their range)" % RUNS)
    rng = random.Random(1)
    data = rng.randbytes(64 << 20)
    pat = r"\xAA\x55.{10}\xFF\xFE"
    db = trawl.compile(pat)
    rx = re.compile(rb"\xAA\x55.{10}\xFF\xFE", re.DOTALL)
    assert db.count(data) == sum(1 for _ in rx.finditer(data))
    row("regex \\xAA\\x55.{10}\\xFF\\xFE, 64 MiB random", len(data), lambda: db.count(data),
        lambda: sum(1 for _ in rx.finditer(data)), "re", (2180,))
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
        lambda: mdb.counts(data, overlap=True), finds, "bytes.find loop")

    tlv = b"\x01\x04\xaa\xbb\xcc\xdd" * 10000
    f = trawl.TLV()
    assert len(f.parse(tlv)) == len(_tlv_loop(tlv)) == len(osc.parse_tlv(tlv))
    row("TLV 60 kB (Oscura's case), Unit objects", len(tlv), lambda: f.parse(tlv),
        lambda: _tlv_loop(tlv), "struct loop", (6.60,), runs=3 * RUNS)
    row("TLV 60 kB, compat parse_tlv", len(tlv), lambda: osc.parse_tlv(tlv),
        lambda: _tlv_loop(tlv), "struct loop", (6.60,), runs=3 * RUNS)
    assert osc.parse_tlv(tlv) == _tlv_loop(tlv, osc.TLVRecord)
    row("TLV 60 kB, compat parse_tlv (same objects)", len(tlv), lambda: osc.parse_tlv(tlv),
        lambda: _tlv_loop(tlv, osc.TLVRecord), "TLVRecord loop", (6.60,), runs=3 * RUNS)
    big = tlv * 100
    row("TLV 6 MB, NumPy arrays()", len(big), lambda: f.arrays(big),
        lambda: _tlv_loop(big), "struct loop", (6.60,))

    recs = rng.randbytes(1 << 20)
    r = trawl.Records(128)

    def py_records():
        return [recs[i:i + 128] for i in range(0, len(recs), 128)]
    row("128-byte records, 1 MiB, compat stream_records", len(recs),
        lambda: list(osc.stream_records(recs, 128)), py_records, "slice loop", (1280,),
        runs=3 * RUNS)
    row("128-byte records, 1 MiB, Records.arrays()", len(recs), lambda: r.arrays(recs),
        py_records, "slice loop", (1280,), runs=3 * RUNS)

    fz = rng.randbytes(100_000)
    p8 = bytes(range(0x41, 0x49))
    fdb = trawl.fuzzy_compile(p8, 2)
    small = fz[:1000]
    row("fuzzy 8-byte pattern k=2, 100 kB", len(fz), lambda: fdb.scan(fz),
        lambda: _fuzzy_python(small, p8, 2), "Python DP (1 kB)", (0.0059,),
        peer_bytes=len(small), runs=3)


def _thumb_image():
    """The STM32F4 test program (tests/data/firmware) built with
    arm-none-eabi-gcc, repeated to 256 KiB of Thumb code; None without the
    compiler."""
    import shutil
    import subprocess
    import tempfile
    if not shutil.which("arm-none-eabi-gcc"):
        return None
    d = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "firmware")
    with tempfile.TemporaryDirectory() as tmp:
        elf, out = os.path.join(tmp, "a.elf"), os.path.join(tmp, "a.bin")
        subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-Os",
                        "-ffreestanding", "-nostartfiles", "-nostdlib", "-T",
                        os.path.join(d, "stm32f4.ld"), os.path.join(d, "stm32f4_uart.c"),
                        os.path.join(d, "uart_printf.c"), "-lgcc", "-o", elf], check=True)
        subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", elf, out], check=True)
        img = open(out, "rb").read()
    return (img * (262144 // len(img) + 1))[:262144]


def _words_python(img):
    """The register scan of Oscura's HAL detector as a Python user writes
    it: every byte offset read as a little-endian word and kept when it
    falls in a peripheral range (what trawl never does: see
    docs/python-oscura-differences.md row 50)."""
    found = {}
    for i in range(len(img) - 3):
        a = int.from_bytes(img[i:i + 4], "little")
        if 0x40000000 <= a < 0x60000000 or 0xE0000000 <= a < 0xE0100000 or a < 0x100:
            found[a] = found.get(a, 0) + 1
    return found


def compat_rows():
    img = _thumb_image()
    if img is None:
        print("compat HALDetector: skipped (arm-none-eabi-gcc not installed)")
    else:
        hal = osc.HALDetector()
        row("compat HALDetector, 256 KiB Thumb image", len(img),
            lambda: hal.analyze_firmware(img), lambda: _words_python(img),
            "word loop", runs=3)
    import numpy as np
    rng = np.random.default_rng(1)
    x = rng.standard_normal(20000)
    x[::997] += 9
    det = osc.AnomalyDetector()

    def numpy_mz():
        med = np.median(x)
        mad = np.median(np.abs(x - med))
        return np.flatnonzero(0.6745 * np.abs(x - med) / mad > 3.0)
    assert len(det.detect_field_value_anomaly(list(x), "v")) == len(numpy_mz())
    row("compat detect_field_value_anomaly, 20k values", 8 * len(x),
        lambda: det.detect_field_value_anomaly(list(x), "v"), numpy_mz, "NumPy", runs=3)


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
    print(f"trawl {trawl.LIBRARY_VERSION} from {trawl.LIBRARY_PATH};"
          f" Python {sys.version.split()[0]}; load average %.1f %.1f %.1f" % os.getloadavg())
    overhead()
    throughput()
    compat_rows()
    print("load average at the end: %.1f %.1f %.1f" % os.getloadavg())
    print("\nNotes: the fuzzy Python peer runs on 1 kB and its MB/s is per byte of that kB;"
          " Oscura's figures are the seed's (shared/peers/oscura.md), not this run's.")


if __name__ == "__main__":
    main()
