"""trawl.compat.oscura against Oscura's own test cases (oscura-re/oscura
v0.9.0: tests/unit/analyzers/patterns/test_matching.py,
tests/unit/analyzers/packet/test_parser.py and test_stream.py), rewritten
here from the behaviour they document. Where Oscura's behaviour is a bug
the test asserts trawl's documented behaviour instead and says so
("DIFFERENCE", listed in docs/python-oscura-differences.md). Then the
compat functions against the real trawl engine and Python oracles on random
inputs."""

import io
import random
import re
import struct

import pytest

import trawl
from trawl.compat.oscura import (AhoCorasickMatcher, BinaryParser, BinaryRegex, FuzzyMatcher,
                                 FuzzyMatchResult, PatternMatchResult, TLVRecord,
                                 binary_regex_search, count_pattern_occurrences,
                                 find_pattern_positions, find_similar_sequences, fuzzy_search,
                                 multi_pattern_search, parse_tlv, parse_tlv_nested,
                                 stream_delimited, stream_packets, stream_records)

# ---- PatternMatchResult -------------------------------------------------------


def test_pattern_match_result_fields():
    r = PatternMatchResult(pattern_name="test", offset=10, length=4,
                           matched_data=b"\xaa\xbb\xcc\xdd", pattern=b"\xaa\xbb\xcc\xdd")
    assert (r.pattern_name, r.offset, r.length, r.similarity) == ("test", 10, 4, 1.0)
    assert (r.start(), r.end()) == (10, 14)
    assert PatternMatchResult("f", 0, 4, b"", b"", similarity=0.75).similarity == 0.75

# ---- BinaryRegex ------------------------------------------------------------------


def test_literal_hex_bytes():
    r = BinaryRegex(pattern=r"\xAA\xBB", name="header").search(b"\x00\x00\xaa\xbb\x00")
    assert (r.offset, r.length, r.matched_data, r.pattern_name) == (2, 2, b"\xaa\xbb", "header")
    assert r.pattern == r"\xAA\xBB"


def test_wildcard_any_byte():
    r = BinaryRegex(pattern=r"\xAA??").search(b"\xaa\xff\xaa\x00")
    assert (r.offset, r.length, r.matched_data) == (0, 2, b"\xaa\xff")


def test_single_question_mark_is_a_quantifier():
    # DIFFERENCE: Oscura reads a lone ? as any byte (undocumented); in trawl's
    # syntax it is "zero or one": \xAA? alone could match nothing and is
    # refused, \xAA\xBB? matches \xAA with an optional \xBB.
    with pytest.raises(trawl.PatternSyntaxError, match="empty"):
        BinaryRegex(pattern=r"\xAA?")
    assert BinaryRegex(pattern=r"\xAA\x55?").search(b"\xaa\x00").length == 1
    assert BinaryRegex(pattern=r"\xAA??").search(b"\xaa\x55").length == 2


def test_nibble_wildcard():
    # Oscura documents ?0 nibbles but does not implement them; trawl spells
    # a nibble \x?0 (low nibble 0) or \x0? (high nibble 0).
    assert BinaryRegex(pattern=r"\xAA\x?0").findall(b"\xaa\x10\xaa\x11\xaa\xf0")[1].offset == 4


def test_byte_range():
    r = BinaryRegex(pattern=rb"[\x00-\x1F]").search(b"\xff\x10\xff")
    assert (r.offset, r.matched_data) == (1, b"\x10")


def test_repetition_exact_and_range():
    assert BinaryRegex(pattern=r"\xAA{3}").search(b"\x00\xaa\xaa\xaa\x00").matched_data == \
        b"\xaa\xaa\xaa"
    # longest: all three \xBB
    assert BinaryRegex(pattern=r"\xBB{2,4}").search(b"\x00\xbb\xbb\xbb\x00").length == 3


def test_alternation():
    assert BinaryRegex(pattern=rb"(\xAA|\xFF)").search(b"\x00\xff\x00").matched_data == b"\xff"


def test_alternation_is_leftmost_longest():
    # DIFFERENCE: Python re takes the first alternative that matches (\xAA);
    # trawl reports the longest match at the leftmost start.
    assert BinaryRegex(pattern=rb"(\xAA|\xAA\xBB)").search(b"\xaa\xbb").length == 2


def test_anchors():
    rx = BinaryRegex(pattern=r"^\xAA")
    assert rx.match(b"\xaa\xbb") is not None and rx.match(b"\x00\xaa") is None
    assert BinaryRegex(pattern=r"\xAA$").search(b"\x00\x00\xaa").offset == 2
    # like re: ^ matches only at the real start, not at a start offset
    assert rx.search(b"\xaa\xaa", start=1) is None
    # DIFFERENCE: $ is the end of the input, never before a final newline
    assert BinaryRegex(pattern=r"\xAA$").search(b"\xaa\n") is None


def test_match_only_at_start_and_search_anywhere():
    rx = BinaryRegex(pattern=r"\xAA\xBB")
    assert rx.match(b"\xaa\xbb\x00") is not None and rx.match(b"\x00\xaa\xbb") is None
    assert rx.match(b"\x00\xaa\xbb", start=1).offset == 1
    assert rx.search(b"\x00\x00\xaa\xbb\x00").offset == 2


def test_findall_multiple_and_non_overlapping():
    assert [r.offset for r in BinaryRegex(pattern=r"\xAA").findall(b"\xaa\x00\xaa\x00\xaa")] \
        == [0, 2, 4]
    assert len(BinaryRegex(pattern=r"\xAA\xAA").findall(b"\xaa\xaa\xaa")) == 1
    assert len(BinaryRegex(pattern=r"\xAA\xAA").findall(b"\xaa" * 1000)) == 500


def test_search_with_start_offset():
    assert BinaryRegex(pattern=r"\xAA").search(b"\xaa\x00\xaa", start=2).offset == 2


def test_invalid_pattern_raises():
    # DIFFERENCE: Oscura sets compiled = None and matches nothing; trawl
    # refuses the pattern with the column of the fault.
    with pytest.raises(trawl.PatternSyntaxError) as e:
        BinaryRegex(pattern="[invalid")
    assert e.value.column == 1 and isinstance(e.value, ValueError)
    with pytest.raises(ValueError):
        BinaryRegex(pattern="")  # Oscura: matches the empty string or None


def test_complex_star_plus():
    assert BinaryRegex(pattern=r"\xAA??\xFF").search(b"\x00\xaa\x12\xff\x00").offset == 1
    rx = BinaryRegex(pattern=r"\xAA\x00*\xBB")
    assert rx.search(b"\xaa\xbb") and rx.search(b"\xaa\x00\x00\xbb")
    rx = BinaryRegex(pattern=r"\xAA\x00+\xBB")
    assert rx.search(b"\xaa\xbb") is None and rx.search(b"\xaa\x00\x00\xbb").length == 4


def test_dot_is_any_byte():
    # DIFFERENCE: Oscura escapes '.', making it a literal dot although its own
    # docs (\xAA.{4}\x55) and benchmarks use it as "any byte".
    assert BinaryRegex(pattern=r"\xAA.{4}\x55").search(b"\xaa\x01\x02\x03\x04\x55").length == 6
    assert BinaryRegex(pattern=rb"\.").search(b"x.$*+").offset == 1  # \. is a dot
    assert BinaryRegex(pattern=rb"\x00\x01\x02\x03").search(bytes(range(256))).offset == 0


def test_edge_cases():
    assert BinaryRegex(pattern=r"\xAA").findall(b"") == []
    assert BinaryRegex(pattern=r"\xAA\xBB\xCC\xDD").search(b"\xaa\xbb") is None
    assert BinaryRegex(pattern=r"\xAA").search(b"\xaa") is not None
    assert isinstance(BinaryRegex(pattern=r"\xAA").compiled, trawl.Database)
    # raw bytes in a bytes pattern stand for themselves (control bytes too)
    assert BinaryRegex(pattern=b"\x01\xaa").search(b"\x00\x01\xaa").offset == 1


def test_against_python_re_on_fixed_width_patterns():
    rng = random.Random(21)
    for _ in range(100):
        parts = [rng.choice([r"\x%02X" % rng.randrange(3), "??", r"[\x00-\x01]"])
                 for _ in range(rng.randint(1, 4))]
        if all(p == "??" for p in parts):
            parts.append(r"\x02")
        pat = "".join(parts)
        pyre = re.compile(pat.replace("??", ".").encode(), re.DOTALL)
        data = bytes(rng.randrange(3) for _ in range(200))
        got = [(r.offset, r.length) for r in BinaryRegex(pattern=pat).findall(data)]
        assert got == [(m.start(), m.end() - m.start()) for m in pyre.finditer(data)]
        start = rng.randrange(200)
        m = pyre.search(data, start)
        r = BinaryRegex(pattern=pat).search(data, start)
        assert (r.offset if r else None) == (m.start() if m else None)
        m = pyre.match(data, start)
        r = BinaryRegex(pattern=pat).match(data, start)
        assert (r.offset if r else None) == (m.start() if m else None)

# ---- AhoCorasickMatcher -----------------------------------------------------------------


def test_aho_single_multiple_dict_overlapping():
    m = AhoCorasickMatcher()
    m.add_pattern(b"\xaa\xbb", "header")
    m.build()
    (r,) = m.search(b"\x00\xaa\xbb\x00")
    assert (r.pattern_name, r.offset) == ("header", 1)
    m = AhoCorasickMatcher()
    m.add_patterns({"header": b"\xaa\x55", "footer": b"\xff\xff"})
    m.build()
    assert {r.pattern_name for r in m.search(b"\xaa\x55\x00\xff\xff")} == {"header", "footer"}
    m = AhoCorasickMatcher()
    m.add_pattern(b"\xaa\xbb", "p1")
    m.add_pattern(b"\xbb\xcc", "p2")
    m.build()
    assert len(m.search(b"\xaa\xbb\xcc")) == 2


def test_aho_positions_iter_and_build_required():
    m = AhoCorasickMatcher()
    m.add_pattern(b"\xaa", "marker")
    with pytest.raises(RuntimeError, match="Must call build"):
        m.search(b"\xaa")
    with pytest.raises(RuntimeError, match="Must call build"):
        list(m.iter_search(b"\xaa"))
    m.build()
    assert [r.offset for r in m.search(b"\xaa\x00\xaa\x00\xaa")] == [0, 2, 4]
    assert len(list(m.iter_search(b"\xaa\x00\xaa\x00\xaa"))) == 3
    m.add_pattern(b"\xbb", "second")
    with pytest.raises(RuntimeError):
        m.search(b"\xaa\xbb")  # adding a pattern un-builds, as in Oscura
    m.build()
    assert len(m.search(b"\xaa\xbb")) == 2


def test_aho_names_strings_unicode_and_sizes():
    m = AhoCorasickMatcher()
    m.add_pattern(b"\xaa\xbb")
    m.add_pattern("AB", "text")
    m.add_pattern(b"\xaa", "테스트")
    m.build()
    names = [r.pattern_name for r in m.search(b"\xaa\xbbAB")]
    assert names == ["aabb", "테스트", "text"] or sorted(names) == sorted(["aabb", "테스트", "text"])
    m = AhoCorasickMatcher()
    pat = bytes(range(10))
    m.add_pattern(pat, "long")
    for i in range(100):
        m.add_pattern(bytes([i + 20, i + 21]), f"p{i}")
    m.build()
    rs = m.search(b"\xff" + pat + b"\xff\x30\x31")
    assert rs[0].matched_data == pat and len(rs) >= 2
    m = AhoCorasickMatcher()
    m.add_pattern(b"\xaa\xbb", "needle")
    m.build()
    (r,) = m.search(b"\x00" * 500_000 + b"\xaa\xbb" + b"\x00" * 500_000)
    assert r.offset == 500_000
    assert m.search(b"") == []
    m = AhoCorasickMatcher()
    m.build()
    assert m.search(b"\xaa\xbb") == []


def test_aho_empty_pattern_refused():
    # DIFFERENCE: Oscura accepts b"" and reports it where its automaton
    # happens to sit in the root state; trawl refuses it.
    with pytest.raises(ValueError, match="Pattern cannot be empty"):
        AhoCorasickMatcher().add_pattern(b"", "empty")


def test_aho_order_is_oscura_order():
    # every occurrence, by end offset, longer pattern first, then insertion
    pats = {"abc": b"abc", "bc": b"bc", "c": b"c", "c2": b"c", "ab": b"ab"}
    m = AhoCorasickMatcher()
    m.add_patterns(pats)
    m.build()
    got = [(r.pattern_name, r.offset) for r in m.search(b"abcabc")]
    assert got == [("ab", 0), ("abc", 0), ("bc", 1), ("c", 2), ("c2", 2),
                   ("ab", 3), ("abc", 3), ("bc", 4), ("c", 5), ("c2", 5)]


def test_aho_against_brute_force():
    rng = random.Random(5)
    for _ in range(40):
        pats = {f"p{i}": bytes(rng.randrange(3) for _ in range(rng.randint(1, 4)))
                for i in range(rng.randint(1, 6))}
        data = bytes(rng.randrange(3) for _ in range(rng.randint(0, 100)))
        want = sorted((n, i) for n, p in pats.items() for i in range(len(data))
                      if data.startswith(p, i))
        m = AhoCorasickMatcher()
        m.add_patterns(pats)
        m.build()
        assert sorted((r.pattern_name, r.offset) for r in m.search(data)) == want

# ---- fuzzy ----------------------------------------------------------------------------------


def test_fuzzy_exact_substitution_insertion_deletion():
    rs = FuzzyMatcher(max_edit_distance=2).search(b"\x00\xaa\xbb\xcc\x00", b"\xaa\xbb\xcc")
    assert [r.edit_distance for r in rs] == [0] and rs[0].similarity == 1.0 and rs[0].offset == 1
    (r,) = FuzzyMatcher(max_edit_distance=1).search(b"\xaa\xbb\xdd", b"\xaa\xbb\xcc")
    assert r.edit_distance == 1 and r.substitutions == [(2, 0xCC, 0xDD)]
    (r,) = FuzzyMatcher(max_edit_distance=2).search(b"\xaa\xff\xbb\xcc", b"\xaa\xbb\xcc")
    assert (r.offset, r.length, r.edit_distance) == (0, 4, 1)
    (r,) = FuzzyMatcher(max_edit_distance=1).search(b"\xaa\xcc", b"\xaa\xbb\xcc")
    assert (r.offset, r.length, r.edit_distance) == (0, 2, 1)


def test_fuzzy_disable_substitutions():
    rs = FuzzyMatcher(max_edit_distance=1, allow_substitutions=False).search(
        b"\xaa\xdd\xcc", b"\xaa\xbb\xcc")
    assert rs == []  # with k = 1 an insertion + deletion (cost 2) is too much


def test_fuzzy_min_similarity_and_names():
    for r in FuzzyMatcher(max_edit_distance=2, min_similarity=0.8).search(
            b"\xaa\xbb\xdd\xee", b"\xaa\xbb\xcc\xcc"):
        assert r.similarity >= 0.8
    assert FuzzyMatcher(max_edit_distance=2).min_similarity == 0.0
    assert FuzzyMatcher(max_edit_distance=2, min_similarity=0.8).min_similarity == 0.8
    assert FuzzyMatcher(max_edit_distance=1).search(b"\xaa\xbb\x00", b"\xaa\xbb")[
        0].pattern_name == "aabb"
    assert len(FuzzyMatcher(max_edit_distance=1).search(b"HELLO", "HELLO")) == 1
    (r,) = fuzzy_search(b"\x00\xaa\xbb\xdd\x00", b"\xaa\xbb\xcc", max_distance=1, name="test")
    assert r.pattern_name == "test"
    for r in fuzzy_search(b"\xaa\xbb\xcc\xdd", b"\xaa\xbb\xcc\xcc", max_distance=2,
                          min_similarity=0.7):
        assert r.similarity >= 0.7


def test_fuzzy_no_overlap_and_no_match():
    rs = FuzzyMatcher(max_edit_distance=2).search(b"\xaa\xbb\xcc\xdd" * 2, b"\xaa\xbb\xcc")
    spans = sorted((r.offset, r.offset + r.length) for r in rs)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    assert FuzzyMatcher(max_edit_distance=1).search(b"\xff" * 4, b"\x00" * 4) == []
    assert FuzzyMatcher(max_edit_distance=1).search(b"", b"\xaa\xbb") == []
    assert FuzzyMatcher(max_edit_distance=1).search(b"\xaa", b"\xaa\xbb\xcc\xdd") == []


def test_fuzzy_refusals():
    # DIFFERENCE: an empty pattern, or k >= len(pattern) (where every short
    # window matches), is a ValueError.
    with pytest.raises(ValueError):
        FuzzyMatcher(max_edit_distance=1).search(b"\xaa\xbb", b"")
    with pytest.raises(ValueError):
        FuzzyMatcher(max_edit_distance=2).search(b"\xaa\xbb", b"\xaa")


def test_fuzzy_tie_prefers_longer_window():
    # DIFFERENCE: equal similarity at one offset -> trawl keeps the longer
    # window, Oscura the shorter. Pattern abcd, data abcZ: "abc" (delete d)
    # and "abcZ" (substitute) are both 1 edit, similarity 1 - 1/4.
    (r,) = fuzzy_search(b"abcZ", b"abcd", max_distance=1)
    assert (r.offset, r.length, r.edit_distance, r.similarity) == (0, 4, 1, 0.75)
    assert r.substitutions == [(3, ord("d"), ord("Z"))]
    (r,) = fuzzy_search(b"azb", b"axb", max_distance=1)
    assert (r.length, r.substitutions) == (3, [(1, ord("x"), ord("z"))])


def test_fuzzy_match_result_fields():
    r = FuzzyMatchResult(pattern_name="t", offset=0, length=3, matched_data=b"\xaa\xdd\xcc",
                         pattern=b"\xaa\xbb\xcc", similarity=0.67, edit_distance=1,
                         substitutions=[(1, 0xBB, 0xDD)])
    assert r.substitutions[0] == (1, 0xBB, 0xDD)
    assert FuzzyMatchResult("t", 10, 4, b"", b"", 0.75, 1).substitutions == []

# ---- convenience ------------------------------------------------------------------------


def test_convenience_functions():
    rs = binary_regex_search(b"\x00\xaa\xbb\x00\xaa\xbb", r"\xAA\xBB", name="test")
    assert len(rs) == 2 and rs[0].pattern_name == "test"
    res = multi_pattern_search(b"\xaa\x55\x00\xde\xad\x00\xaa\x55",
                               {"header": b"\xaa\x55", "marker": b"\xde\xad", "none": b"\x01"})
    assert (len(res["header"]), len(res["marker"]), res["none"]) == (2, 1, [])
    res = multi_pattern_search(b"HELLO WORLD", {"hello": "HELLO", "world": "WORLD"})
    assert len(res["hello"]) == 1 and len(res["world"]) == 1
    counts = count_pattern_occurrences(b"\xaa\x55\x00\xde\xad\x00\xaa\x55\x00\xaa\x55",
                                       {"header": b"\xaa\x55", "marker": b"\xde\xad"})
    assert counts == {"header": 3, "marker": 1}
    assert count_pattern_occurrences(b"aaaa", {"aa": b"aa"}) == {"aa": 3}  # overlapping
    assert find_pattern_positions(b"\xaa\x00\xaa\x00\xaa", b"\xaa") == [0, 2, 4]
    assert find_pattern_positions(b"HELLO WORLD HELLO", "HELLO") == [0, 12]
    assert find_pattern_positions(b"\xff\xff\xff", b"\x00") == []
    assert find_pattern_positions(b"aaa", b"aa") == [0, 1]
    with pytest.raises(ValueError, match="Pattern cannot be empty"):
        find_pattern_positions(b"\xaa\xbb\xcc", b"")


def test_find_similar_sequences():
    data = b"\xaa\xbb\xcc\xdd" + b"\x00" * 10 + b"\xaa\xbb\xcc\xde"
    rs = find_similar_sequences(data, min_length=4, max_distance=1)
    assert (0, 14, 0.75) in rs
    for o1, o2, sim in rs:
        assert o2 - o1 >= 4 and 0.0 <= sim <= 1.0
    for o1, o2, _ in find_similar_sequences(b"\xaa\xbb\xcc\xdd" * 2, 4, 1):
        assert abs(o1 - o2) >= 4
    assert find_similar_sequences(b"\xaa\xbb", min_length=10, max_distance=1) == []
    # DIFFERENCE: identical windows have similarity 1.0 (Oscura's banded DP
    # starts at max_distance and reports 0.75 here), and every offset is
    # compared, not every min_length // 2.
    assert (0, 8, 1.0) in find_similar_sequences(b"abcdefghabcdefgh", 8, 1)
    assert (1, 9, 1.0) in find_similar_sequences(b"xabcdefghabcdefgh", 8, 1)

# ---- parse_tlv -------------------------------------------------------------------------------


def test_tlv_basic_multiple_and_offsets():
    (r,) = parse_tlv(bytes([1, 3, 1, 2, 3]), type_size=1, length_size=1)
    assert (r.type_id, r.length, r.value, r.offset) == (1, 3, b"\x01\x02\x03", 0)
    rs = parse_tlv(bytes([1, 2, 0xAA, 0xBB, 2, 1, 0xFF]))
    assert [(r.type_id, r.value, r.offset) for r in rs] == [(1, b"\xaa\xbb", 0),
                                                           (2, b"\xff", 4)]


def test_tlv_sizes_and_endianness():
    (r,) = parse_tlv(struct.pack(">HH", 1, 4) + b"\x01\x02\x03\x04", type_size=2,
                     length_size=2, big_endian=True)
    assert (r.type_id, r.length) == (1, 4)
    (r,) = parse_tlv(struct.pack("<HH", 1, 2) + b"\xaa\xbb", type_size=2, length_size=2,
                     big_endian=False)
    assert r.type_id == 1
    (r,) = parse_tlv(struct.pack(">II", 1, 3) + b"\x01\x02\x03", type_size=4, length_size=4)
    assert r.type_id == 1
    (r,) = parse_tlv(bytes([1, 5, 1, 2, 3]), include_length_in_length=True)
    assert r.length == 3
    with pytest.raises(ValueError):
        parse_tlv(b"\x01\x00", type_size=3)  # Oscura: KeyError


def test_tlv_zero_length_and_empty():
    (r,) = parse_tlv(bytes([1, 0]))
    assert (r.length, r.value) == (0, b"")
    assert parse_tlv(b"") == []


def test_tlv_truncated_raises():
    # DIFFERENCE: Oscura stops silently and returns what it had; trawl
    # raises FrameError with the fault's kind, offset and the records before.
    with pytest.raises(trawl.TruncatedFrameError) as e:
        parse_tlv(bytes([1, 0x0A, 1, 2]))
    assert (e.value.kind, e.value.offset, e.value.units) == ("truncated-value", 0, [])
    with pytest.raises(trawl.TruncatedFrameError) as e:
        parse_tlv(bytes([1, 1, 0xAA, 1]))  # an incomplete header after a record
    assert e.value.kind == "truncated-header" and e.value.offset == 3
    assert [r.value for r in e.value.units] == [b"\xaa"]
    with pytest.raises(trawl.FrameError) as e:
        parse_tlv(bytes([1, 1, 0xFF]), include_length_in_length=True)
    assert e.value.kind == "length-below-header" and isinstance(e.value, ValueError)


def test_tlv_zero_copy_and_record():
    (r,) = parse_tlv(bytes([1, 2, 0xAA, 0xBB]), zero_copy=True)
    assert isinstance(r.value, memoryview) and r.value == b"\xaa\xbb"
    assert TLVRecord(type_id=1, length=2, value=b"\xaa\xbb").offset == 0


def test_tlv_against_struct_loop():
    rng = random.Random(3)
    for _ in range(50):
        recs, buf = [], b""
        for _ in range(rng.randint(0, 20)):
            v = bytes(rng.randrange(256) for _ in range(rng.randint(0, 10)))
            recs.append((rng.randrange(256), len(v), v, len(buf)))
            buf += struct.pack(">BH", recs[-1][0], len(v)) + v
        got = [(r.type_id, r.length, r.value, r.offset)
               for r in parse_tlv(buf, type_size=1, length_size=2)]
        assert got == recs


def test_tlv_nested():
    nested = bytes([2, 2, 0xAA, 0xBB])
    assert parse_tlv_nested(bytes([1, len(nested)]) + nested, container_types={1}) == \
        {1: {2: b"\xaa\xbb"}}
    assert parse_tlv_nested(bytes([1, 2, 0xAA, 0xBB]), container_types=set()) == \
        {1: b"\xaa\xbb"}
    inner = bytes([3, 1, 0xFF])
    assert parse_tlv_nested(bytes([1, 1, 0xAA, 2, len(inner)]) + inner,
                            container_types={2}) == {1: b"\xaa", 2: {3: b"\xff"}}
    assert parse_tlv_nested(bytes([1, 0]), container_types={1}) == {1: {}}

# ---- streams --------------------------------------------------------------------------------


def test_stream_records_sources(tmp_path):
    assert list(stream_records(b"AAABBBCCCDDDEEE", record_size=3)) == \
        [b"AAA", b"BBB", b"CCC", b"DDD", b"EEE"]
    p = tmp_path / "r.bin"
    p.write_bytes(b"123456789012")
    assert list(stream_records(p, record_size=4))[0] == b"1234"
    assert list(stream_records(str(p), record_size=4)) == [b"1234", b"5678", b"9012"]
    assert list(stream_records(io.BytesIO(b"ABCDEFGH"), record_size=2))[0] == b"AB"
    assert list(stream_records(b"", record_size=4)) == []
    with pytest.raises(ValueError, match="record_size must be positive"):
        list(stream_records(b"test", record_size=0))


def test_stream_records_incomplete_last_raises():
    # DIFFERENCE: the short tail is an error after the complete records
    # (Oscura drops it silently).
    got = []
    with pytest.raises(trawl.TruncatedFrameError) as e:
        for r in stream_records(b"AAABBBCC", record_size=3):
            got.append(r)
    assert got == [b"AAA", b"BBB"] and e.value.kind == "short-tail" and e.value.offset == 6
    # the in-memory path (sliced in Python) and the reader path (the C
    # framer) give the same records and the same fault
    for n in range(0, 12):
        data = bytes(range(n))
        for src in (data, io.BytesIO(data)):
            got, err = [], None
            try:
                for r in stream_records(src, 4):
                    got.append(r)
            except trawl.FrameError as e:
                err = (e.kind, e.offset, e.index, e.status)
            assert got == [data[i:i + 4] for i in range(0, n - n % 4, 4)]
            assert err == (("short-tail", n - n % 4, n // 4, "ETRUNCATED") if n % 4 else None)


def test_stream_packets(tmp_path):
    data = struct.pack(">H", 3) + b"ABC" + struct.pack(">H", 4) + b"DEFG"
    ps = list(stream_packets(data))
    assert [p.data for p in ps] == [struct.pack(">H", 3) + b"ABC", struct.pack(">H", 4) + b"DEFG"]
    assert ps[0].metadata["packet_num"] == 1 and ps[0].metadata["header"] == (3,)
    assert ps[1].timestamp == 2
    data = struct.pack(">HH", 0xAA55, 3) + b"ABC" + struct.pack(">HH", 0xAA55, 2) + b"XY"
    ps = list(stream_packets(data, header_parser=BinaryParser(">HH"), length_field=1))
    assert b"ABC" in ps[0].data and b"XY" in ps[1].data
    assert ps[0].metadata["header"] == (0xAA55, 3)
    assert len(list(stream_packets(data, header_parser=struct.Struct(">HH")))) == 2
    ps = list(stream_packets(struct.pack(">H", 5) + b"ABC", header_included=True))
    assert len(ps) == 1 and len(ps[0].data) == 5
    p = tmp_path / "p.bin"
    p.write_bytes(struct.pack(">H", 2) + b"AB" + struct.pack(">H", 3) + b"XYZ")
    assert len(list(stream_packets(p))) == 2
    assert list(stream_packets(b"")) == []


def test_stream_packets_faults():
    # DIFFERENCE: a truncated packet raises (Oscura stops silently).
    with pytest.raises(trawl.TruncatedFrameError) as e:
        list(stream_packets(struct.pack(">H", 10) + b"AB"))
    assert e.value.offset == 0 and e.value.kind == "truncated-value"
    with pytest.raises(ValueError) as e:
        list(stream_packets(struct.pack(">I", 200 * 1024 * 1024),
                            header_parser=BinaryParser(">I"), length_field=0))
    assert e.value.kind == "packet-too-large"
    with pytest.raises(trawl.PatternSyntaxError):
        list(stream_packets(b"\x00" * 8, header_parser=BinaryParser(">f"), length_field=0))


def test_stream_delimited(tmp_path):
    assert list(stream_delimited(b"line1\nline2\nline3\n")) == [b"line1", b"line2", b"line3"]
    assert list(stream_delimited(b"field1|field2|field3", delimiter=b"|"))[0] == b"field1"
    assert list(stream_delimited(b"line1\nline2")) == [b"line1", b"line2"]
    p = tmp_path / "l.txt"
    p.write_bytes(b"a\nb\nc\n")
    assert len(list(stream_delimited(p, delimiter=b"\n"))) == 3
    assert list(stream_delimited(b"", delimiter=b"\n")) == []
    assert list(stream_delimited(b"record1\r\nrecord2\r\nrecord3", delimiter=b"\r\n")) == \
        [b"record1", b"record2", b"record3"]
    assert list(stream_delimited(b"a\n\nb")) == [b"a", b"", b"b"]
    with pytest.raises(ValueError, match="max_record_size must be positive"):
        list(stream_delimited(b"x", max_record_size=0))
    with pytest.raises(ValueError, match="max_record_size must be positive"):
        list(stream_delimited(b"x", max_record_size=-100))
    with pytest.raises(ValueError, match="delimiter cannot be empty"):
        list(stream_delimited(b"x", delimiter=b""))


def test_stream_delimited_max_record_size():
    data = b"short\n" + b"A" * 2_000_000 + b"\nshort2\n"
    got = []
    with pytest.raises(ValueError) as e:
        for r in stream_delimited(data, delimiter=b"\n", max_record_size=1000):
            got.append(r)
    assert got == [b"short"] and e.value.kind == "record-too-large" and e.value.offset == 6
    got = []
    with pytest.raises(ValueError):
        for r in stream_delimited(io.BytesIO(data), delimiter=b"\n", max_record_size=1000):
            got.append(r)
    assert got == [b"short"]
