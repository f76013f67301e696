"""The rest of trawl.compat.oscura against Oscura's test cases (v0.9.0:
tests/unit/analyzers/packet/test_stream.py and test_parser.py,
tests/unit/analyzers/patterns/test_clustering.py and test_matching.py),
rewritten from the behaviour they document ("DIFFERENCE N": row N of
docs/python-oscura-differences.md): the iterator helpers, PacketParser,
PatternClusterer and cluster_messages, and match_with_wildcards against
a brute-force loop over every window."""

import random
import struct

import numpy as np
import pytest

from trawl.compat.oscura import (FuzzyMatcher, PacketParser, PatternClusterer, batch,
                                 cluster_by_hamming, cluster_messages,
                                 cluster_messages_optimized, pipeline, skip, stream_file,
                                 stream_packets, take)


def test_stream_file(tmp_path):
    data = bytes(range(256)) * 4
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    assert b"".join(stream_file(p)) == data
    assert [len(c) for c in stream_file(str(p), chunk_size=100)] == [100] * 10 + [24]
    (tmp_path / "e.bin").write_bytes(b"")
    assert list(stream_file(tmp_path / "e.bin")) == []
    for bad in (0, -1):
        with pytest.raises(ValueError, match="chunk_size must be positive"):
            list(stream_file(p, chunk_size=bad))


def test_pipeline_batch_take_skip():
    def double(it):
        return (x * 2 for x in it)

    def inc(it):
        return (x + 1 for x in it)

    assert list(pipeline(iter([1, 2, 3]), double, inc)) == [3, 5, 7]
    assert list(pipeline(iter([1, 2, 3, 4]), lambda it: (x * x for x in it))) == [1, 4, 9, 16]
    assert list(pipeline(iter([1, 2, 3]))) == [1, 2, 3]
    assert list(pipeline(range(10), lambda it: (x for x in it if x % 2 == 0))) == [0, 2, 4, 6, 8]
    assert list(batch(range(10), 3)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(batch(range(9), 3)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert list(batch([1, 2], 5)) == [[1, 2]] and list(batch([], 3)) == []
    assert list(take(range(10), 5)) == [0, 1, 2, 3, 4] and list(take([1, 2, 3], 10)) == [1, 2, 3]
    assert list(take(range(10), 0)) == [] and list(skip(range(10), 5)) == [5, 6, 7, 8, 9]
    assert list(skip([1, 2, 3], 10)) == [] and list(skip([1, 2, 3], 0)) == [1, 2, 3]
    for fn, arg, msg in ((batch, 0, "size must be positive"), (batch, -5, "size must be positive"),
                         (take, -1, "n must be non-negative"), (skip, -1, "n must be non-negative")):
        with pytest.raises(ValueError, match=msg):
            list(fn(iter([1, 2, 3]), arg))
    # a take() stops reading its source: the rest of a stream is left unread
    src = iter(range(100))
    assert list(take(src, 3)) == [0, 1, 2] and next(src) == 3
    data = b"".join(struct.pack(">H", 3) + bytes([i] * 3) for i in range(10))
    got = list(pipeline(stream_packets(data), lambda it: (p for p in it if p.data[-1] % 2),
                        lambda it: take(it, 3)))
    assert [p.data[-1] for p in got] == [1, 3, 5]
    assert [len(b) for b in batch(stream_packets(data), 4)] == [4, 4, 2]


def test_packet_parser():
    p = PacketParser([("sync", "H"), ("length", "H"), ("type", "B")], byte_order=">")
    assert p.parse(struct.pack(">HHB", 0xAA55, 10, 5)) == {"sync": 0xAA55, "length": 10, "type": 5}
    assert PacketParser([("value", "H")]).parse(b"\xff\xff\x00\x42", offset=2) == {"value": 0x42}
    q = PacketParser([("sync", "H"), ("type", "B")], byte_order=">")
    assert q.pack(sync=0xAA55, type=5) == struct.pack(">HB", 0xAA55, 5)
    assert PacketParser([("a", "H"), ("b", "B"), ("c", "I")], byte_order="<").size == 7
    assert PacketParser([("a", "H"), ("b", "4s")], "<").parse(b"\x01\x00abcd") == \
        {"a": 1, "b": b"abcd"}
    with pytest.raises(struct.error):
        q.parse(b"\xaa")
    with pytest.raises(KeyError):
        q.pack(sync=1)
    # DIFFERENCE 62: Oscura pairs names with values by position
    with pytest.raises(ValueError, match="gives 2 values"):
        PacketParser([("pair", "2H"), ("flag", "B")])
    with pytest.raises(ValueError):
        PacketParser([("a", "B"), ("a", "B")])
    with pytest.raises(ValueError):
        PacketParser([("a", "B")], byte_order="big")


def test_pattern_clusterer_and_cluster_messages():
    rng = random.Random(4)
    base = [bytes(rng.randrange(256) for _ in range(16)) for _ in range(3)]
    pats = []
    for b in base:
        for _ in range(6):
            x = bytearray(b)
            x[rng.randrange(16)] ^= 0xFF
            pats.append(bytes(x))
    c = PatternClusterer(method="hamming", threshold=0.2)
    labels = c.cluster(pats)
    assert np.array_equal(labels, cluster_by_hamming(pats, threshold=0.2).labels)
    assert len(set(labels)) == 3 and len(c.get_clusters()) == 3
    assert -1 <= c.get_silhouette_score() <= 1
    h = PatternClusterer(n_clusters=3, method="hierarchical")
    assert np.array_equal(h.fit_predict(pats), PatternClusterer(3, "hierarchical").fit(pats)
                          .result_.labels)
    assert len(set(h.fit_predict(pats))) == 3
    e = PatternClusterer(method="edit", threshold=0.3).fit(pats)
    assert e.result_.num_clusters == 3
    with pytest.raises(ValueError, match="Must call cluster"):
        PatternClusterer().get_clusters()
    with pytest.raises(ValueError, match="Must call cluster"):
        PatternClusterer().get_silhouette_score()
    with pytest.raises(ValueError):  # DIFFERENCE 63: Oscura falls back to hierarchical
        PatternClusterer(method="kmeans")
    X = np.concatenate([np.random.default_rng(1).normal(c, 0.1, (20, 2)) for c in (0, 5, 10)])
    lab = cluster_messages(X, n_clusters=3, random_state=42)
    assert len(lab) == 60 and set(lab) == {0, 1, 2}
    assert all(len(set(lab[i:i + 20])) == 1 for i in (0, 20, 40))
    assert np.array_equal(lab, cluster_messages_optimized(X, 3, random_state=42))
    for bad, msg in ((X[:, 0], "Expected 2D"), (X[:2], "cannot exceed")):
        with pytest.raises(ValueError, match=msg):
            cluster_messages(bad, n_clusters=3)
    with pytest.raises(ValueError, match="kmeans"):
        cluster_messages(X, method="dbscan")


def _windows_oracle(data, pattern, wildcard, k, min_sim):
    out = []
    care = [j for j, b in enumerate(pattern) if b != wildcard]
    for i in range(len(data) - len(pattern) + 1):
        mism = sum(data[i + j] != pattern[j] for j in care)
        sim = (len(care) - mism) / len(care) if care else 1.0
        if mism <= k and sim >= min_sim:
            out.append((i, mism, sim))
    return out


def test_match_with_wildcards_against_every_window():
    m = FuzzyMatcher(max_edit_distance=0)
    got = m.match_with_wildcards(b"\xaa\x01\xbb\x00\xaa\x02\xbb", b"\xaa\xff\xbb")
    assert [(r.offset, r.similarity, r.matched_data) for r in got] == \
        [(0, 1.0, b"\xaa\x01\xbb"), (4, 1.0, b"\xaa\x02\xbb")]
    assert got[0].pattern_name == "aaffbb" and got[0].edit_distance == 0
    one = FuzzyMatcher(max_edit_distance=1).match_with_wildcards(b"\xaa\x01\xbc", b"\xaa\xff\xbb",
                                                                 pattern_name="hdr")
    assert [(r.offset, r.edit_distance, r.similarity, r.pattern_name) for r in one] == \
        [(0, 1, 0.5, "hdr")]
    rng = random.Random(9)
    for _ in range(30):
        data = bytes(rng.choice(b"\x00\x01\x02\xff") for _ in range(rng.randint(0, 300)))
        pat = bytes(rng.choice(b"\x00\x01\x02\xff") for _ in range(rng.randint(1, 8)))
        k, ms = rng.randint(0, 3), rng.choice([0.0, 0.5, 0.8])
        got = FuzzyMatcher(max_edit_distance=k, min_similarity=ms).match_with_wildcards(data, pat)
        assert [(r.offset, r.edit_distance, r.similarity) for r in got] == \
            _windows_oracle(data, pat, 0xFF, k, ms)
    with pytest.raises(ValueError):
        FuzzyMatcher().match_with_wildcards(b"abc", b"")
