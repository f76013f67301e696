"""cffi releases the GIL around calls into libtrawl: while one thread is
inside a long scan, another keeps running Python code. Measured as the
longest stall of a Python loop in the main thread while a worker thread
spends a fifth of a second or more in one fuzzy scan: with the GIL held the stall
would be the whole call -- the same scan called through ctypes.PyDLL, which
keeps the GIL, shows that the measure sees it; with the GIL released the
stall is scheduling noise. Also: one Database scanned from
several threads at once gives every thread the same answer (each thread has
its own scratch)."""

import ctypes
import threading
import time

import trawl

DATA = bytes(range(256)) * (32 * 4096)  # 32 MiB: ~0.2 s of scan on a quiet machine


def _longest_stall(fn):
    done = threading.Event()
    took = [0.0]

    def worker():
        t0 = time.perf_counter()
        fn()
        took[0] = time.perf_counter() - t0
        done.set()

    th = threading.Thread(target=worker)
    last = time.perf_counter()
    stall = 0.0
    th.start()
    while not done.is_set():
        # sleep(0) lets a waiting thread take the GIL at once (a bare spin
        # makes the worker's match callbacks wait a switch interval each:
        # 65,536 of them took 20 s); it still cannot return while the GIL
        # is held elsewhere, so a held GIL shows as one long stall
        time.sleep(0)
        now = time.perf_counter()
        stall = max(stall, now - last)
        last = now
    th.join()
    return stall, took[0]


def test_scans_release_the_gil():
    fz = trawl.fuzzy_compile(b"ABCDEFGHIJKLMNOP", 2)  # one long C call (a match per 256 bytes)
    stall, took = _longest_stall(lambda: fz.scan(DATA))
    assert took > 0.05, "the scan was too short to show anything"
    assert stall < 0.5 * took, (stall, took)


def test_the_measure_sees_a_held_gil():
    # The same C function through ctypes.PyDLL, which does not release the
    # GIL: the main thread cannot run for the whole call.
    from trawl._lib import LIBRARY_PATH, ffi

    fz = trawl.fuzzy_compile(b"ABCDEFGHIJKLMNOP", 2)
    stream = fz._open()
    held = ctypes.PyDLL(LIBRARY_PATH)
    buf = ffi.from_buffer(DATA)
    ptr = lambda c: ctypes.c_void_p(int(ffi.cast("uintptr_t", c)))  # noqa: E731
    call = lambda: held.trawl_fuzzy_scan(ptr(stream), ptr(buf), ctypes.c_size_t(len(DATA)),  # noqa
                                         None, None, None)
    stall, took = _longest_stall(call)
    assert took > 0.05 and stall >= 0.9 * took, (stall, took)


def test_one_database_many_threads():
    db = trawl.compile([r"\x10\x11", r"\xF0.\xF2"])
    want = db.counts(DATA[:1 << 20])
    got = []
    lock = threading.Lock()

    def worker():
        for _ in range(5):
            c = db.counts(DATA[:1 << 20])
            with lock:
                got.append(c)

    ths = [threading.Thread(target=worker) for _ in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    assert got == [want] * 20 and want == [4096, 4096]
