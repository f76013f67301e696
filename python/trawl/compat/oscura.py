"""Oscura-compatible functions on trawl's engine.

Replace ``from oscura.analyzers.patterns.matching import ...`` (and
``oscura.analyzers.packet.parser`` / ``.stream``, ``.patterns.clustering``,
``.patterns.anomaly_detection``, ``oscura.hardware.hal_detector``) with
``from trawl.compat.oscura import ...``: the names, arguments and result
fields are Oscura's (v0.9.0). The behaviour is trawl's where Oscura's is a
bug -- each difference is listed in docs/python-oscura-differences.md; the
main ones:

* ``.`` in a BinaryRegex is any byte (Oscura: a literal dot, though its own
  docs and benchmarks assume any byte); a lone ``?`` is the optional
  quantifier (Oscura: any byte); nibbles are ``\\x?0`` / ``\\x0?``.
* An invalid pattern raises :class:`trawl.PatternSyntaxError` (a
  ValueError, with the column) instead of silently matching nothing.
* Matches are leftmost-longest (Oscura: Python ``re``'s leftmost-first).
* Truncated or malformed TLV records, packets and fixed-size records raise
  :class:`trawl.FrameError` (a ValueError, with the byte offset) after every
  complete record before them, instead of stopping silently.
* find_similar_sequences compares every offset with correct distances
  (Oscura samples every min_length//2 bytes and its banded DP returns
  max_distance for identical windows).
* AnomalyDetector runs trawl's statistical tests and explains each
  anomaly; HALDetector reads register accesses from Thumb instructions
  (never words of the image taken as addresses) and reports "Unknown" when
  no SDK's signatures add up (Oscura: "STM32 HAL").
"""

from __future__ import annotations

import functools
import os
import struct as _pystruct
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterator, Optional, Union

from .. import errors
from . import _oscura_more as _more
from .. import frame as _frame
from .. import fuzzy as _fuzzy
from .. import pattern as _pattern
from .. import _lib
from .._lib import ffi, lib

__all__ = [
    "ClusterResult", "ClusteringResult", "analyze_cluster", "cluster_by_edit_distance",
    "cluster_by_hamming", "cluster_hierarchical", "compute_distance_matrix", "kmeans_vectorized",
    "AhoCorasickMatcher", "BinaryParser", "BinaryRegex", "FuzzyMatchResult", "FuzzyMatcher",
    "PatternMatchResult", "StreamPacket", "TLVRecord", "binary_regex_search",
    "count_pattern_occurrences", "find_pattern_positions", "find_similar_sequences",
    "fuzzy_search", "multi_pattern_search", "parse_tlv", "parse_tlv_nested", "stream_delimited",
    "stream_packets", "stream_records",
]

# ---------------------------------------------------------------------------
# matching (RE-PAT-001/002/003)
# ---------------------------------------------------------------------------


@dataclass
class PatternMatchResult:
    """Oscura's match record (``start()``/``end()`` like re.Match)."""

    pattern_name: str
    offset: int
    length: int
    matched_data: bytes
    pattern: Union[bytes, str]
    similarity: float = 1.0

    def start(self) -> int:
        return self.offset

    def end(self) -> int:
        return self.offset + self.length


def _regex_text(pattern: Union[str, bytes]) -> bytes:
    """The pattern as trawl regex text: raw control bytes (which trawl
    refuses in pattern text) become \\xNN escapes of the same byte."""
    raw = pattern.encode() if isinstance(pattern, str) else bytes(pattern)
    if len(raw.translate(None, _CONTROL)) == len(raw):
        return raw
    return b"".join(b"\\x%02x" % c if c < 0x20 or c == 0x7F else bytes((c,)) for c in raw)


_CONTROL = bytes(range(0x20)) + b"\x7f"


@functools.lru_cache(maxsize=256)
def _compile_cached(text: bytes, anchored: bool) -> _pattern.Database:
    if anchored:
        text = b"^(" + text + b")"
    return _pattern.compile(text, syntax="regex", block_only=True)


@functools.lru_cache(maxsize=256)
def _compile_pattern(pattern: Union[str, bytes]) -> tuple[bytes, _pattern.Database]:
    """A BinaryRegex pattern's trawl text and database, cached by the
    pattern as given (BinaryRegex(p) per call then costs a dict lookup)."""
    text = _regex_text(pattern)
    return text, _compile_cached(text, False)


@dataclass
class BinaryRegex:
    """A binary regex in trawl's regex-style byte syntax
    (docs/pattern-syntax.md): ``\\xAA``, ``??`` and ``.`` (any byte),
    ``\\x?A`` (nibble), ``[\\x00-\\x1F]``, ``{n,m}``, ``(a|b)``, ``^``, ``$``.
    ``compiled`` is the trawl :class:`~trawl.Database`. An invalid pattern
    raises :class:`trawl.PatternSyntaxError` (Oscura: ``compiled = None``).
    Compiled databases are cached (256 most recent patterns)."""

    pattern: Union[str, bytes]
    compiled: Optional[_pattern.Database] = None
    name: str = ""

    def __post_init__(self) -> None:
        try:
            self._text, self.compiled = _compile_pattern(self.pattern)
        except TypeError:  # an unhashable pattern (bytearray): no cache by pattern
            self._text = _regex_text(self.pattern)
            self.compiled = _compile_cached(self._text, False)

    def _result(self, m: _pattern.Match, base: int, data: Any) -> PatternMatchResult:
        off = m.offset + base
        return PatternMatchResult(pattern_name=self.name, offset=off, length=m.length,
                                  matched_data=bytes(data[off:off + m.length]),
                                  pattern=self.pattern)

    def _first(self, db: _pattern.Database, data: Any, start: int) -> Optional[PatternMatchResult]:
        if start > 0 and self.compiled.infos[0].anchored_start:  # type: ignore[union-attr]
            return None  # like re: ^ matches only at the real start, not at pos
        got = db.scan(memoryview(data).cast("B")[start:] if start else data, limit=1)
        return self._result(got[0], start, data) if got else None

    def match(self, data: bytes, start: int = 0) -> Optional[PatternMatchResult]:
        """The longest match beginning exactly at ``start``, or None."""
        return self._first(_compile_cached(self._text, True), data, start)

    def search(self, data: bytes, start: int = 0) -> Optional[PatternMatchResult]:
        """The leftmost (longest) match at or after ``start``, or None."""
        return self._first(self.compiled, data, start)  # type: ignore[arg-type]

    def findall(self, data: bytes) -> list[PatternMatchResult]:
        """Every match, leftmost-longest and non-overlapping."""
        return [self._result(m, 0, data) for m in self.compiled.scan(data)]  # type: ignore


def binary_regex_search(data: bytes, pattern: str, name: str = "") -> list[PatternMatchResult]:
    return BinaryRegex(pattern=pattern, name=name).findall(data)


def _literal(pattern: Union[bytes, str]) -> bytes:
    return pattern.encode() if isinstance(pattern, str) else bytes(pattern)


class AhoCorasickMatcher:
    """Multi-literal search reporting every (overlapping) occurrence of
    every pattern, ordered by end offset, then longer pattern first, then
    insertion order -- Oscura's automaton's order. Runs on trawl's
    literal patterns (Hyperscan), not a Python automaton."""

    def __init__(self) -> None:
        self._patterns: list[tuple[bytes, str]] = []
        self._db: Optional[_pattern.Database] = None
        self._built = False

    def add_pattern(self, pattern: Union[bytes, str], name: str = "") -> None:
        """Adds a literal (str is UTF-8 encoded); ``name`` defaults to the
        pattern's hex. An empty pattern is a ValueError (Oscura accepted it
        and reported it at positions that depend on its automaton)."""
        raw = _literal(pattern)
        if not raw:
            raise ValueError("Pattern cannot be empty")
        self._patterns.append((raw, name or raw.hex()))
        self._built = False

    def add_patterns(self, patterns: dict[str, Union[bytes, str]]) -> None:
        for name, p in patterns.items():
            self.add_pattern(p, name)

    def build(self) -> None:
        """Compiles the patterns; required before search()."""
        pats = [p for p, _ in self._patterns]
        self._db = _pattern.compile(pats, syntax="literal", block_only=True) if pats else None
        self._built = True

    def search(self, data: bytes) -> list[PatternMatchResult]:
        return list(self.iter_search(data))

    def iter_search(self, data: bytes) -> Iterator[PatternMatchResult]:
        if not self._built:
            raise RuntimeError("Must call build() before search()")
        if self._db is None:
            return iter(())
        hits = self._db.scan(data, overlap=True)
        hits.sort(key=lambda m: (m.offset + m.length, -m.length, m.pattern))
        pats = self._patterns
        return (PatternMatchResult(pattern_name=pats[m.pattern][1], offset=m.offset,
                                   length=m.length, matched_data=bytes(m.data),
                                   pattern=pats[m.pattern][0]) for m in hits)


def multi_pattern_search(data: bytes, patterns: dict[str, Union[bytes, str]]
                         ) -> dict[str, list[PatternMatchResult]]:
    """Every occurrence of each named literal: {name: [matches]} with every
    name present."""
    m = AhoCorasickMatcher()
    m.add_patterns(patterns)
    m.build()
    out: dict[str, list[PatternMatchResult]] = {name: [] for name in patterns}
    for r in m.search(data):
        out[r.pattern_name].append(r)
    return out


def count_pattern_occurrences(data: bytes, patterns: dict[str, Union[bytes, str]]
                              ) -> dict[str, int]:
    """{name: number of (overlapping) occurrences}."""
    names = list(patterns)
    counts = dict.fromkeys(names, 0)
    if not names:
        return counts
    raws = [_literal(patterns[n]) for n in names]
    if any(not r for r in raws):
        raise ValueError("Pattern cannot be empty")
    db = _pattern.compile(raws, syntax="literal", block_only=True)
    for i, c in enumerate(db.counts(data, overlap=True)):
        counts[names[i]] += c
    return counts


def find_pattern_positions(data: bytes, pattern: Union[bytes, str]) -> list[int]:
    """Every offset at which the literal occurs (overlapping)."""
    raw = _literal(pattern)
    if not raw:
        raise ValueError("Pattern cannot be empty")
    db = _compile_literal(raw)
    return [m.offset for m in db.scan(data, overlap=True)]


@functools.lru_cache(maxsize=256)
def _compile_literal(raw: bytes) -> _pattern.Database:
    return _pattern.compile(raw, syntax="literal", block_only=True)


@dataclass
class FuzzyMatchResult:
    """Oscura's fuzzy match record. ``substitutions`` lists
    (pattern position, expected byte, actual byte) of an optimal
    alignment."""

    pattern_name: str
    offset: int
    length: int
    matched_data: bytes
    pattern: bytes
    similarity: float
    edit_distance: int
    substitutions: list[tuple[int, int, int]] = field(default_factory=list)


class FuzzyMatcher:
    """Approximate search with trawl's fuzzy engine: windows within
    ``max_edit_distance`` edits, made non-overlapping by best similarity,
    then leftmost, then longest (Oscura: then shortest)."""

    def __init__(self, max_edit_distance: int = 2, min_similarity: Optional[float] = None,
                 allow_substitutions: bool = True, allow_insertions: bool = True,
                 allow_deletions: bool = True) -> None:
        self.max_edit_distance = max_edit_distance
        self._min_similarity = min_similarity
        self.allow_substitutions = allow_substitutions
        self.allow_insertions = allow_insertions
        self.allow_deletions = allow_deletions

    @property
    def min_similarity(self) -> float:
        return self._min_similarity if self._min_similarity is not None else 0.0

    def search(self, data: bytes, pattern: Union[bytes, str],
               pattern_name: str = "") -> list[FuzzyMatchResult]:
        """Fuzzy matches of the literal pattern (str is UTF-8 encoded).
        k >= len(pattern) is a ValueError (every short window would match)."""
        raw = _literal(pattern)
        name = pattern_name or raw.hex()
        if not raw:
            raise ValueError("Pattern cannot be empty")
        db = _fuzzy.compile(_fuzzy.Spec(raw, self.max_edit_distance, "levenshtein",
                                        self.min_similarity, self.allow_substitutions,
                                        self.allow_insertions, self.allow_deletions, name))
        out = []
        for m in db.scan(data):
            _, edits = db.align(m.data)
            subs = [(e.pattern_pos, e.pattern_value, e.data_byte) for e in edits
                    if e.op == "substitute"]
            out.append(FuzzyMatchResult(pattern_name=name, offset=m.offset, length=m.length,
                                        matched_data=m.data, pattern=raw,
                                        similarity=m.similarity, edit_distance=m.distance,
                                        substitutions=subs))
        return out


    def match_with_wildcards(self, data: bytes, pattern: bytes, wildcard: int = 0xFF,
                             pattern_name: str = "") -> list[FuzzyMatchResult]:
        """Every window of len(pattern) bytes, overlapping ones included,
        within ``max_edit_distance`` substitutions of the pattern's bytes
        that are not ``wildcard``; similarity = matching non-wildcard bytes
        / non-wildcard bytes (at least ``min_similarity``). Computed with
        NumPy over every window: trawl's fuzzy engine keeps only the best
        non-overlapping matches, so it cannot list them all."""
        raw = _literal(pattern)
        name = pattern_name or raw.hex()
        out = []
        for off, mism, sim in _more.wildcard_windows(data, raw, wildcard,
                                                     self.max_edit_distance,
                                                     self.min_similarity):
            out.append(FuzzyMatchResult(pattern_name=name, offset=off, length=len(raw),
                                        matched_data=bytes(data[off:off + len(raw)]),
                                        pattern=raw, similarity=sim, edit_distance=mism))
        return out


def fuzzy_search(data: bytes, pattern: Union[bytes, str], max_distance: int = 2,
                 min_similarity: Optional[float] = None, name: str = "") -> list[FuzzyMatchResult]:
    return FuzzyMatcher(max_edit_distance=max_distance,
                        min_similarity=min_similarity).search(data, pattern, pattern_name=name)


def find_similar_sequences(data: bytes, min_length: int = 4,
                           max_distance: int = 1) -> list[tuple[int, int, float]]:
    """Pairs of non-overlapping ``min_length``-byte windows (offset1 <
    offset2, offset2 - offset1 >= min_length) within ``max_distance``
    edits: (offset1, offset2, 1 - d / min_length). Every offset is
    compared (Oscura samples every min_length//2 bytes) and distances are
    exact (Oscura's banded DP reports max_distance for identical windows)."""
    if len(data) < min_length:
        return []
    return [(p.a, p.b, 1.0 - p.distance / min_length)
            for p in _fuzzy.similar(data, min_length, max_distance) if p.b - p.a >= min_length]


# ---------------------------------------------------------------------------
# packet/parser.py
# ---------------------------------------------------------------------------


@dataclass
class TLVRecord:
    type_id: int
    length: int
    value: bytes
    offset: int = 0


@functools.lru_cache(maxsize=64)
def _tlv_framer(type_size: int, length_size: int, big_endian: bool,
                include_length_in_length: bool, containers: tuple[int, ...]) -> _frame.TLV:
    """The framer for these options, cached: framers are immutable and
    shareable, and each keeps its per-thread iterators."""
    for what, v in (("type_size", type_size), ("length_size", length_size)):
        if v not in (1, 2, 4):
            raise ValueError(f"{what} must be 1, 2 or 4, not {v}")
    return _frame.TLV(type_size=type_size, length_size=length_size,
                      little_endian=not big_endian,
                      length_includes_header=include_length_in_length, containers=containers)


def parse_tlv(buffer: bytes, *, type_size: int = 1, length_size: int = 1, big_endian: bool = True,
              include_length_in_length: bool = False, type_map: Optional[dict[int, str]] = None,
              zero_copy: bool = False) -> list[TLVRecord]:
    """Type-length-value records. A record that runs past the end or whose
    length is below its header raises :class:`trawl.FrameError` (``kind``,
    ``offset``; ``units`` holds the records before it) instead of stopping
    silently. ``zero_copy=True`` gives values as memoryviews into buffer.
    ``type_map`` is accepted and unused, as in Oscura."""
    del type_map
    framer = _tlv_framer(type_size, length_size, big_endian, include_length_in_length, ())
    # values sliced from the buffer itself: bytes from bytes (one copy), or
    # memoryviews into it for zero_copy
    view = memoryview(buffer).cast("B") if zero_copy or not isinstance(buffer, bytes) else buffer
    rec = TLVRecord
    # A TLV unit's value is the last value.len bytes of its data.
    if zero_copy or isinstance(view, bytes):
        def make(rows: Any) -> Any:
            return [rec(typ, vl, view[off + dl - vl:off + dl], off) for (off, dl, vl, typ) in rows]
    else:
        def make(rows: Any) -> Any:
            return [rec(typ, vl, bytes(view[off + dl - vl:off + dl]), off)
                    for (off, dl, vl, typ) in rows]
    return framer._collect(_lib.from_buffer(buffer), make, _TLV_ROW)


# trawl_frame_unit read as (offset, data.len, value.len, type)
_TLV_ROW = _frame._unit_struct(("offset", "data_len", "value_len", "type"))


def parse_tlv_nested(buffer: bytes, *, type_size: int = 1, length_size: int = 1,
                     big_endian: bool = True,
                     container_types: Optional[set[int]] = None) -> dict[int, Any]:
    """Nested TLV as dicts: {type: bytes or {nested}}; a repeated type
    keeps the last record, as in Oscura."""
    framer = _tlv_framer(type_size, length_size, big_endian, False,
                         tuple(sorted(container_types or ())))
    root: dict[int, Any] = {}
    stack = [root]
    for u in framer.units(buffer):
        del stack[u.depth + 1:]
        if u.container:
            child: dict[int, Any] = {}
            stack[u.depth][u.type] = child
            stack.append(child)
        else:
            stack[u.depth][u.type] = bytes(u.value)
    return root


class BinaryParser:
    """Oscura's BinaryParser: Python's struct.Struct under its names
    (stream_packets reads its ``format``)."""

    def __init__(self, format_string: str) -> None:
        self._struct = _pystruct.Struct(format_string)
        self._format = format_string

    @property
    def format(self) -> str:
        return self._format

    @property
    def size(self) -> int:
        return self._struct.size

    def unpack(self, buffer: bytes) -> tuple[Any, ...]:
        return self._struct.unpack(buffer[: self.size])

    def unpack_from(self, buffer: bytes, offset: int = 0) -> tuple[Any, ...]:
        return self._struct.unpack_from(buffer, offset)

    def pack(self, *values: Any) -> bytes:
        return self._struct.pack(*values)

    def iter_unpack(self, buffer: bytes) -> Iterator[tuple[Any, ...]]:
        return self._struct.iter_unpack(buffer)


# ---------------------------------------------------------------------------
# packet/stream.py
# ---------------------------------------------------------------------------


@dataclass
class StreamPacket:
    timestamp: float
    data: bytes
    metadata: dict[str, Any]


Source = Union[str, "os.PathLike[str]", BinaryIO, bytes]


def _units(framer: _frame.Framer, src: Any, window: int = 0) -> Iterator[_frame.Unit]:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return framer.units(src)  # type: ignore[return-value]
    return framer.read(src, window=window)  # type: ignore[return-value]


def stream_records(file_or_buffer: Source, record_size: int) -> Iterator[bytes]:
    """Fixed-size records as bytes. A partial record at the end raises
    :class:`trawl.TruncatedFrameError` (kind ``short-tail``) after the
    complete ones (Oscura dropped it silently)."""
    if record_size <= 0:
        raise ValueError(f"record_size must be positive, got {record_size}")
    framer = _frame.Records(record_size)
    if isinstance(file_or_buffer, (bytes, bytearray, memoryview)):
        # In memory, fixed records are slices: cut them here (a call per
        # record into the framer costs more than the slice) and report a
        # partial last record as the framer does: fault short-tail at its
        # offset, with the index it would have had.
        buf = memoryview(file_or_buffer).cast("B")
        whole = len(buf) - len(buf) % record_size
        if isinstance(file_or_buffer, bytes):  # slices of bytes are bytes: one copy
            raw = file_or_buffer
            for i in range(0, whole, record_size):
                yield raw[i:i + record_size]
        else:
            for i in range(0, whole, record_size):
                yield bytes(buf[i:i + record_size])
        if whole < len(buf):
            raise _frame.fault_error(ffi.new("trawl_frame_fault *", {
                "kind": lib.TRAWL_FRAME_SHORT_TAIL, "offset": whole,
                "index": whole // record_size}))
        return
    for u in _units(framer, file_or_buffer):
        yield bytes(u.value)


_MAX_PACKET = 100 * 1024 * 1024
# Python struct codes with a fixed size in the standard modes, as trawl's
# struct language spells them.
_STRUCT_ALIASES = {"l": "i", "L": "I"}


def _header_format(header_parser: Any) -> str:
    fmt = header_parser if isinstance(header_parser, str) else header_parser.format
    if isinstance(fmt, bytes):
        fmt = fmt.decode()
    return "".join(_STRUCT_ALIASES.get(c, c) for c in fmt)


def stream_packets(file_or_buffer: Source, *, header_parser: Any = None, length_field: int = 1,
                   header_included: bool = False) -> Iterator[StreamPacket]:
    """Length-prefixed packets: StreamPacket(timestamp = packet number from
    1, data = header + payload, metadata = {"header": values,
    "packet_num": n, "offset": byte offset}). ``header_parser``: a
    BinaryParser, a struct.Struct or a format string (default ``>H`` with
    the length in field 0); its format must be in trawl's struct language
    (integers and ``Ns``). A packet over 100 MiB raises ValueError
    (FrameError ``packet-too-large``); a truncated packet or a length below
    the header raises :class:`trawl.FrameError` (Oscura stopped silently)."""
    if header_parser is None:
        fmt, length_field = ">H", 0
    else:
        fmt = _header_format(header_parser)
    framer = _frame.Packets(fmt, length_field, length_includes_header=header_included,
                            max_size=_MAX_PACKET)
    hdr = framer.header_struct
    for u in _units(framer, file_or_buffer):
        data = bytes(u.data)
        n = u.index + 1
        yield StreamPacket(timestamp=n, data=data,
                           metadata={"header": hdr.unpack(data), "packet_num": n,
                                     "offset": u.offset})


def stream_delimited(file_or_buffer: Source, delimiter: bytes = b"\n", *,
                     max_record_size: int = 1048576) -> Iterator[bytes]:
    """Delimiter-separated records (without the delimiter); empty records
    between delimiters are yielded; a last record without a delimiter is
    yielded. A record over ``max_record_size`` raises ValueError
    (:class:`trawl.FrameError`, kind ``record-too-large``, with its
    offset). Delimiters are 1 to 64 bytes."""
    if max_record_size <= 0:
        raise ValueError(f"max_record_size must be positive, got {max_record_size}")
    if not delimiter:
        raise ValueError("delimiter cannot be empty")
    framer = _frame.Delimited(bytes(delimiter), max_size=max_record_size)
    window = max(1 << 20, 2 * (max_record_size + len(delimiter)))
    for u in _units(framer, file_or_buffer, window):
        yield bytes(u.value)

# ---------------------------------------------------------------------------
# clustering.py / clustering_optimized.py (on trawl.analyze)
# ---------------------------------------------------------------------------


@dataclass
class ClusterResult:
    """One cluster: its patterns, a centroid (per-offset majority for
    fixed-length patterns, else the most frequent pattern), the mean
    pairwise distance inside it (``variance``), and the offsets where every
    member has the same byte (``common_bytes``) or not."""

    cluster_id: int
    patterns: list[Any]
    centroid: Any
    size: int
    variance: float
    common_bytes: list[int]
    variable_bytes: list[int]

    def __post_init__(self) -> None:
        if self.cluster_id < 0:
            raise ValueError("cluster_id must be non-negative")
        if self.size < 0:
            raise ValueError("size must be non-negative")
        if len(self.patterns) != self.size:
            raise ValueError("patterns length must match size")


@dataclass
class ClusteringResult:
    clusters: list[ClusterResult]
    labels: Any
    num_clusters: int
    silhouette_score: float

    def __post_init__(self) -> None:
        if self.num_clusters != len(self.clusters):
            raise ValueError("num_clusters must match clusters length")


def _np() -> Any:
    import numpy as np

    return np


def _as_bytes(p: Any) -> bytes:
    return p.astype("uint8").tobytes() if hasattr(p, "astype") else bytes(p)


def compute_distance_matrix(patterns: list[Any], metric: str = "hamming") -> Any:
    """The square n x n matrix of normalised distances, computed by
    trawl.analyze on every core: hamming (differing offsets plus the
    length difference, over the longer length), levenshtein (over the
    longer length) or jaccard (of the sets of byte values)."""
    if metric not in ("hamming", "levenshtein", "jaccard"):
        raise ValueError(f"Unknown metric: {metric}")
    from .. import analyze

    msgs = [_as_bytes(p) for p in patterns]
    if len(msgs) < 2:
        return _np().zeros((len(msgs), len(msgs)))
    return analyze.square(analyze.distance_matrix(msgs, metric, ngram=1))


def _padded(patterns: list[Any]) -> Any:
    np = _np()
    arrays = [np.frombuffer(_as_bytes(p), dtype=np.uint8) for p in patterns]
    width = max((len(a) for a in arrays), default=0)
    out = np.zeros((len(arrays), width), dtype=np.uint8)
    for i, a in enumerate(arrays):
        out[i, :len(a)] = a
    return out


def _cluster(cid: int, members: list[int], patterns: list[Any], S: Any) -> ClusterResult:
    np = _np()
    pats = [patterns[i] for i in members]
    M = _padded(pats)
    varying = (M != M[0]).any(axis=0) if len(M) else np.zeros(0, dtype=bool)
    if len({len(_as_bytes(p)) for p in pats}) == 1:
        cen = np.array([np.bincount(M[:, j], minlength=256).argmax() for j in range(M.shape[1])],
                       dtype=np.uint8)
        centroid: Any = bytes(cen) if isinstance(patterns[0], bytes) else cen
    else:
        from collections import Counter

        centroid = Counter(_as_bytes(p) for p in pats).most_common(1)[0][0]
    sub = S[np.ix_(members, members)]
    iu = np.triu_indices(len(members), 1)
    variance = float(sub[iu].mean()) if len(members) > 1 else 0.0
    return ClusterResult(cluster_id=cid, patterns=pats, centroid=centroid, size=len(pats),
                         variance=variance,
                         common_bytes=[int(j) for j in np.flatnonzero(~varying)],
                         variable_bytes=[int(j) for j in np.flatnonzero(varying)])


def _silhouette(S: Any, labels: Any) -> float:
    """Mean silhouette over the clustered items (noise, -1, left out, as
    Oscura does), by trawl.analyze.silhouette."""
    np = _np()
    from .. import analyze

    keep = np.flatnonzero(labels >= 0)
    lab = labels[keep]
    k = len(set(lab.tolist()))
    if k < 2 or k >= len(keep):
        return 0.0
    sub = S[np.ix_(keep, keep)]
    return analyze.silhouette(sub[np.triu_indices(len(keep), 1)], lab)


def _result(patterns: list[Any], labels: Any, S: Any) -> ClusteringResult:
    np = _np()
    ids = sorted(set(int(x) for x in labels if x >= 0))
    clusters = [_cluster(c, [int(i) for i in np.flatnonzero(labels == c)], patterns, S)
                for c in ids]
    sil = _silhouette(S, labels) if len(ids) > 1 else 0.0
    return ClusteringResult(clusters=clusters, labels=labels, num_clusters=len(ids),
                            silhouette_score=sil)


def _threshold(S: Any, threshold: float, min_cluster_size: int) -> Any:
    """Oscura's greedy grouping: each unassigned pattern starts a cluster
    and takes every later unassigned one within threshold of all its
    members; clusters under min_cluster_size become noise (-1)."""
    np = _np()
    n = len(S)
    labels = np.full(n, -1, dtype=int)
    cid = 0
    for i in range(n):
        if labels[i] != -1:
            continue
        members = [i]
        labels[i] = cid
        worst = S[i].copy()
        for j in range(i + 1, n):
            if labels[j] == -1 and worst[j] <= threshold:
                members.append(j)
                labels[j] = cid
                worst = np.maximum(worst, S[j])
        if len(members) < min_cluster_size:
            labels[members] = -1
        else:
            cid += 1
    return labels


def cluster_by_hamming(patterns: list[Any], threshold: float = 0.2,
                       min_cluster_size: int = 2) -> ClusteringResult:
    """Groups equal-length patterns within ``threshold`` normalised Hamming
    distance of every member (ValueError for a length mismatch)."""
    np = _np()
    if not patterns:
        return ClusteringResult(clusters=[], labels=np.array([]), num_clusters=0,
                                silhouette_score=0.0)
    n0 = len(patterns[0])
    for i, p in enumerate(patterns):
        if len(p) != n0:
            raise ValueError(f"Pattern {i} has length {len(p)}, expected {n0}")
    S = compute_distance_matrix(patterns, "hamming")
    return _result(patterns, _threshold(S, threshold, min_cluster_size), S)


def cluster_by_edit_distance(patterns: list[Any], threshold: float = 0.3,
                             min_cluster_size: int = 2) -> ClusteringResult:
    """The same grouping under normalised edit distance (any lengths)."""
    np = _np()
    if not patterns:
        return ClusteringResult(clusters=[], labels=np.array([]), num_clusters=0,
                                silhouette_score=0.0)
    S = compute_distance_matrix(patterns, "levenshtein")
    return _result(patterns, _threshold(S, threshold, min_cluster_size), S)


def cluster_hierarchical(patterns: list[Any], method: str = "upgma",
                         num_clusters: Optional[int] = None,
                         distance_threshold: Optional[float] = None) -> ClusteringResult:
    """Agglomerative clustering on the Hamming matrix: SciPy's linkage (by
    trawl.analyze, O(n^2)), cut into ``num_clusters`` or at
    ``distance_threshold``. Same partition as Oscura's O(n^3) search where
    no two merges tie; clusters are numbered depth first."""
    np = _np()
    from .. import analyze

    if num_clusters is None and distance_threshold is None:
        raise ValueError("Must specify either num_clusters or distance_threshold")
    if not patterns:
        return ClusteringResult(clusters=[], labels=np.array([]), num_clusters=0,
                                silhouette_score=0.0)
    S = compute_distance_matrix(patterns, "hamming")
    if len(patterns) == 1:
        return _result(patterns, np.zeros(1, dtype=int), S)
    Z = analyze.linkage(S[np.triu_indices(len(S), 1)], "average" if method == "upgma" else method)
    if num_clusters is not None:
        labels = analyze.cut(Z, k=num_clusters)
    else:
        labels = analyze.cut(Z, distance=distance_threshold)
    return _result(patterns, labels.astype(int), S)


def analyze_cluster(cluster: ClusterResult) -> dict[str, Any]:
    """Per-offset entropy of the members (shorter members padded with
    zeros, as Oscura), common (entropy < 0.1) and variable offsets, and the
    consensus: the most frequent byte at each offset (the smallest on
    ties)."""
    from .. import analyze

    if cluster.size == 0:
        return {"common_bytes": [], "variable_bytes": [], "entropy_per_byte": [], "consensus": b""}
    M = _padded(cluster.patterns)
    cols = analyze.columns([row.tobytes() for row in M])
    ent = [c.entropy for c in cols]
    return {"common_bytes": [i for i, e in enumerate(ent) if e < 0.1],
            "variable_bytes": [i for i, e in enumerate(ent) if e >= 0.1],
            "entropy_per_byte": ent,
            "consensus": bytes(c.mode for c in cols)}


def kmeans_vectorized(data: Any, n_clusters: int, *, random_state: Optional[int] = None,
                      max_iterations: int = 100, tolerance: float = 1e-4) -> tuple[Any, Any]:
    """(labels, centroids) of k-means on the rows of data: k-means++
    seeding from ``random_state`` (0 when None), then scikit-learn's Lloyd
    iteration (Hamerly's bounds; the same result) on every core.
    ``tolerance`` is scikit-learn's: relative to the mean feature variance
    (Oscura's: the largest centroid move)."""
    np = _np()
    from .. import analyze

    if not isinstance(data, np.ndarray) or data.ndim != 2:
        raise ValueError("Expected 2D data array")
    if n_clusters < 1:
        raise ValueError("n_clusters must be >= 1")
    if n_clusters > data.shape[0]:
        raise ValueError(f"n_clusters ({n_clusters}) cannot exceed n_points ({data.shape[0]})")
    r = analyze.kmeans(data, n_clusters, max_iter=max_iterations, tol=tolerance,
                       seed=random_state or 0)
    return r.labels.astype(np.int_), r.centers

# ---------------------------------------------------------------------------
# anomaly detection (oscura.analyzers.patterns.anomaly_detection)
# ---------------------------------------------------------------------------

from ._oscura_anomaly import Anomaly, AnomalyDetectionConfig, AnomalyDetector  # noqa: E402

# ---------------------------------------------------------------------------
# HAL detection (oscura.hardware.hal_detector)
# ---------------------------------------------------------------------------

from ._oscura_hal import (HALAnalysisResult, HALDetector, Peripheral,  # noqa: E402
                          RegisterAccess)

# ---------------------------------------------------------------------------
# iterator helpers, PacketParser, PatternClusterer, cluster_messages
# ---------------------------------------------------------------------------

from ._oscura_more import (PacketParser, PatternClusterer, batch, cluster_messages,  # noqa: E402
                           cluster_messages_optimized, pipeline, skip, stream_file, take)

__all__ += ["Anomaly", "AnomalyDetectionConfig", "AnomalyDetector", "HALAnalysisResult",
            "HALDetector", "Peripheral", "RegisterAccess", "PacketParser", "PatternClusterer",
            "batch", "cluster_messages", "cluster_messages_optimized", "pipeline", "skip",
            "stream_file", "take"]
