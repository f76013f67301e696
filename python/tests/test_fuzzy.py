"""Fuzzy search from Python against a brute-force oracle written here from
the definition in include/trawl/fuzzy.h (every window, full edit-distance
DP, greedy selection by similarity, offset, length); streams against block
scans; alignment; similar pairs against brute force; errors."""

import random
from fractions import Fraction

import pytest

import trawl
from conftest import levenshtein


def _oracle(data, p, k, min_sim=0.0):
    m = len(p)
    cands = []
    for i in range(len(data)):
        for L in range(max(1, m - k), m + k + 1):
            if i + L > len(data):
                break
            d = levenshtein(p, data[i:i + L])
            if d <= k:
                sim = Fraction(d, max(m, L))
                if 1 - float(sim) >= min_sim:
                    cands.append((sim, i, -L, d))
    cands.sort()
    taken, out = [], []
    for sim, i, negL, d in cands:
        L = -negL
        if all(i + L <= a or b <= i for a, b in taken):
            taken.append((i, i + L))
            out.append((i, L, d))
    return sorted(out)


def test_against_brute_force():
    rng = random.Random(11)
    for _ in range(60):
        m = rng.randint(3, 7)
        k = rng.randint(1, min(2, m - 1))
        p = bytes(rng.randrange(3) for _ in range(m))
        data = bytes(rng.randrange(3) for _ in range(rng.randint(0, 60)))
        got = [(x.offset, x.length, x.distance) for x in trawl.fuzzy_search(data, p, k)]
        assert got == _oracle(data, p, k), (p, k, data)


def test_min_similarity_and_fields():
    data = b"\x00\xaa\xbb\xdd\x00"
    (m,) = trawl.fuzzy_search(data, b"\xaa\xbb\xcc", 1)
    assert (m.offset, m.length, m.distance, m.data) == (1, 3, 1, b"\xaa\xbb\xdd")
    assert m.similarity == pytest.approx(2 / 3) and m.end == 4 and m.name == "p0"
    assert trawl.fuzzy_search(data, b"\xaa\xbb\xcc", 1, min_similarity=0.7) == []


def test_syntaxes_and_hamming():
    data = b"..MZ\x90\x00..MZ\x91\x01"
    db = trawl.fuzzy_compile("{ 4D 5A ?? 00 }", 1, mode="hamming")
    assert [(m.offset, m.distance) for m in db.scan(data)] == [(2, 0), (8, 1)]
    assert [m.offset for m in trawl.fuzzy_search(data, "4D5A??00", 0)] == [2]
    assert [m.offset for m in trawl.fuzzy_search(data, "\\x4D\\x5A\\x9?", 0)] == [2, 8]
    assert [m.offset for m in trawl.fuzzy_search(data, "\\x4D\\x5A\\x?0", 0)] == [2]


def test_callback_and_multi_pattern():
    db = trawl.fuzzy_compile([b"abcd", trawl.Spec(b"wxyz", 0, name="w")], 1)
    data = b"abXd....wxyz..abcd"
    got = db.scan(data)
    assert [(m.offset, m.name) for m in got] == [(0, "p0"), (8, "w"), (14, "p0")]
    seen = []
    assert db.scan(data, callback=lambda m: seen.append(m.offset) or True) == 1
    assert len(seen) == 1


def test_stream_equals_block():
    rng = random.Random(5)
    db = trawl.fuzzy_compile(b"\x01\x02\x03\x04\x05", 2)
    for _ in range(10):
        data = bytes(rng.randrange(6) for _ in range(3000))
        want = [(m.offset, m.length, m.distance) for m in db.scan(data)]
        st = db.stream()
        got, pos = [], 0
        while pos < len(data):
            n = rng.randint(1, 300)
            got += st.write(data[pos:pos + n])
            pos += n
        got += st.finish()
        assert [(m.offset, m.length, m.distance) for m in got] == want


def test_align():
    db = trawl.fuzzy_compile(b"\xaa\xbb\xcc", 2)
    d, edits = db.align(b"\xaa\xdd\xcc")
    assert d == 1
    assert [e.op for e in edits] == ["match", "substitute", "match"]
    assert edits[1].pattern_pos == 1 and edits[1].data_byte == 0xDD
    d, edits = db.align(b"\xaa\xcc")
    assert d == 1 and [e.op for e in edits] == ["match", "delete", "match"]


def test_similar_against_brute_force():
    rng = random.Random(2)
    for _ in range(10):
        data = bytes(rng.randrange(2) for _ in range(40))
        L, k = 6, 1
        want = [(a, b, levenshtein(data[a:a + L], data[b:b + L]))
                for a in range(len(data) - L + 1) for b in range(a + 1, len(data) - L + 1)]
        want = [w for w in want if w[2] <= k]
        got = [tuple(p) for p in trawl.similar(data, L, k)]
        assert got == want


def test_errors():
    with pytest.raises(trawl.InvalidArgumentError, match="less than the pattern length"):
        trawl.fuzzy_search(b"abc", b"ab", 2)
    with pytest.raises(trawl.PatternSyntaxError) as e:
        trawl.fuzzy_compile("AB?G", 1)
    assert e.value.column == 4
    with pytest.raises(ValueError):
        trawl.fuzzy_compile(b"abc", 1, mode="nope")
    with pytest.raises(trawl.UnsupportedError):
        trawl.fuzzy_compile("{ 4D [2] 5A }", 1)
