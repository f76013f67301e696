"""trawl.compile / scan / finditer / streams from Python: results against
Python's re on random fixed-width patterns (where leftmost-longest and re's
leftmost-first agree), zero-copy inputs of every buffer kind, the callback
form, streaming against block scans for random chunkings, errors with
their column and index."""

import array
import mmap
import random
import re

import pytest

import trawl

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None


def _rand_fixed_pattern(rng):
    """A fixed-width pattern in both syntaxes: (trawl text, re bytes)."""
    t, r = [], []
    for _ in range(rng.randint(1, 4)):
        k = rng.random()
        if k < 0.5:
            b = rng.randrange(4)
            t.append("\\x%02X" % b)
            r.append(re.escape(bytes([b])))
        elif k < 0.7:
            t.append(".")
            r.append(b".")
        elif k < 0.85:
            lo, hi = sorted(rng.sample(range(4), 2))
            t.append("[\\x%02x-\\x%02x]" % (lo, hi))
            r.append(b"[\\x%02x-\\x%02x]" % (lo, hi))
        else:
            n = rng.randint(1, 3)
            b = rng.randrange(4)
            t.append("\\x%02x{%d}" % (b, n))
            r.append(re.escape(bytes([b])) + b"{%d}" % n)
    if all(x == "." for x in t):
        t.append("\\x01")
        r.append(b"\\x01")
    return "".join(t), b"".join(r)


def test_differential_against_re():
    rng = random.Random(7)
    for _ in range(150):
        tp, rp = _rand_fixed_pattern(rng)
        data = bytes(rng.randrange(4) for _ in range(rng.randint(0, 300)))
        db = trawl.compile(tp)
        got = [(m.offset, m.length) for m in db.scan(data)]
        want = [(m.start(), m.end() - m.start()) for m in re.finditer(rp, data, re.DOTALL)]
        assert got == want, (tp, data)
        # overlap mode: every start at which the pattern matches
        got_o = [m.offset for m in db.scan(data, overlap=True)]
        want_o = [i for i in range(len(data)) if re.compile(rp, re.DOTALL).match(data, i)]
        assert got_o == want_o, (tp, data)


def test_buffers_are_scanned_in_place():
    data = b"\x00\xaa\x55\x01\xaa\x55"
    db = trawl.compile(r"\xAA\x55")
    want = [1, 4]
    assert [m.offset for m in db.scan(data)] == want
    assert [m.offset for m in db.scan(bytearray(data))] == want
    assert [m.offset for m in db.scan(memoryview(data))] == want
    assert [m.offset for m in db.scan(array.array("B", data))] == want
    mm = mmap.mmap(-1, len(data))
    mm.write(data)
    assert [m.offset for m in db.scan(mm)] == want
    got = db.scan(mm)
    assert bytes(got[0].data) == b"\xaa\x55"
    del got
    mm.close()
    with pytest.raises(TypeError):
        db.scan("not bytes")
    with pytest.raises(TypeError):
        db.scan(12)


@pytest.mark.skipif(np is None, reason="NumPy absent")
def test_numpy_inputs_and_outputs():
    a = np.zeros(1000, dtype=np.uint8)
    a[[10, 500, 998]] = 0xAA
    db = trawl.compile([r"\xAA", r"\x00\xAA"], names=["a", "za"])
    offs, lens, pats = db.scan_arrays(a)
    assert offs.tolist() == [9, 10, 499, 500, 997, 998]
    assert pats.tolist() == [1, 0, 1, 0, 1, 0]
    assert lens.tolist() == [2, 1, 2, 1, 2, 1]
    # a non-uint8 array is scanned as its bytes
    w = np.array([0x55AA], dtype="<u2")
    assert [m.offset for m in db.scan(w)] == [0]
    # non-contiguous arrays cannot be viewed without a copy: refused
    with pytest.raises((BufferError, TypeError, ValueError)):
        db.scan(a[::2])
    assert db.counts(a) == [3, 3]


def test_match_fields_and_sorting():
    db = trawl.compile([r"\x02\x03", r"\x01\x02"], names=["b", None])
    ms = db.scan(b"\x01\x02\x03\x01\x02")
    assert [(m.offset, m.pattern, m.name) for m in ms] == [(0, 1, None), (1, 0, "b"),
                                                          (3, 1, None)]
    assert ms[1].end == 3 and bytes(ms[1].data) == b"\x02\x03"
    assert db.names == ["b", None]
    assert db.infos[0].min_width == 2 and db.infos[0].max_width == 2
    assert trawl.compile(r"\x01+").infos[0].max_width is None
    assert list(db.finditer(b"\x01\x02")) == [ms[0]]
    assert db.count(b"\x01\x02\x03") == 2


def test_callback_form_and_stop():
    db = trawl.compile(r"\xAA")
    data = b"\xaa" * 100
    seen = []
    n = db.scan(data, callback=lambda m: seen.append(m.offset))
    assert n == 100 and seen == list(range(100))
    seen.clear()
    n = db.scan(data, callback=lambda m: seen.append(m.offset) or len(seen) == 5)
    assert n == 5 and seen == [0, 1, 2, 3, 4]

    def boom(m):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        db.scan(data, callback=boom)
    assert len(db.scan(data, limit=7)) == 7


def test_stream_equals_block_for_random_chunkings():
    rng = random.Random(3)
    db = trawl.compile([r"\xAA.{0,8}\x55", r"\x01\x02\x03", "{ 10 ?? 11 }"])
    for _ in range(30):
        data = bytes(rng.choice(b"\xaa\x55\x01\x02\x03\x10\x11\x00") for _ in range(2000))
        want = sorted((m.offset, m.length, m.pattern) for m in db.scan(data))
        st = db.stream()
        got, pos = [], 0
        while pos < len(data):
            n = rng.randint(1, 200)
            got += st.write(data[pos:pos + n])
            pos += n
        got += st.close()
        assert sorted((m.offset, m.length, m.pattern) for m in got) == want
        assert st.offset == len(data)
        for m in got:
            assert bytes(m.data) == data[m.offset:m.end]


def test_stream_closed():
    st = trawl.compile(r"\xAA").stream()
    st.close()
    with pytest.raises(trawl.StateError):
        st.write(b"\xaa")


def test_errors_carry_index_and_column():
    with pytest.raises(trawl.PatternSyntaxError) as e:
        trawl.compile([r"\xAA", r"\xAA\xZZ"])
    assert e.value.index == 1 and e.value.column == 7 and e.value.status == "ESYNTAX"
    assert isinstance(e.value, ValueError)
    assert "column 7" in str(e.value)
    with pytest.raises(trawl.PatternSyntaxError) as e:
        trawl.compile("[\\x00-")
    assert e.value.column == 1
    with pytest.raises(trawl.UnsupportedError):
        trawl.compile(r"\xAA*?")
    with pytest.raises(trawl.PatternSyntaxError, match="empty"):
        trawl.compile("")
    with pytest.raises(trawl.PatternSyntaxError) as e:
        trawl.compile_rules("good: \\xAA\nbad: [\\x00\n")
    assert e.value.line == 2
    with pytest.raises(ValueError):
        trawl.compile("a", syntax="perl")


def test_syntaxes_and_nocase():
    data = b"xxHello MZ\x90\x00"
    assert [m.offset for m in trawl.compile("hello", syntax="literal", nocase=True).scan(data)] \
        == [2]
    assert trawl.compile("hello", syntax="literal").scan(data) == []
    assert [m.offset for m in trawl.compile("{ 4D 5A ?? 00 }").scan(data)] == [8]
    assert [m.offset for m in trawl.compile("4D5A", syntax="literal").scan(b"4D5A")] == [0]
    db = trawl.compile_rules("mz: { 4D 5A }\nhi/i: hello\n")
    assert db.names == ["mz", "hi"]
    assert [(m.name, m.offset) for m in db.scan(data)] == [("hi", 2), ("mz", 8)]
    assert [m.offset for m in trawl.scan(r"\x4D\x5A", data)] == [8]


def test_serialize_roundtrip():
    db = trawl.compile([r"\xAA.\x55", "abc"], names=["x", "y"])
    db2 = trawl.Database.deserialize(db.serialize())
    data = b"..\xaa\x00\x55abc"
    assert db2.scan(data) == db.scan(data) and db2.names == ["x", "y"]
    with pytest.raises(trawl.FormatError):
        trawl.Database.deserialize(b"not a database")
    # a block-only database saves and loads as one: it scans, it does not stream
    b = trawl.Database.deserialize(trawl.compile("abc", block_only=True).serialize())
    assert [m.offset for m in b.scan(data)] == [5]
    with pytest.raises(trawl.InvalidArgumentError):
        b.stream()
