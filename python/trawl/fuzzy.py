"""Approximate byte search (include/trawl/fuzzy.h, docs/fuzzy.md).

    >>> import trawl
    >>> [(m.offset, m.distance) for m in trawl.fuzzy_search(b"..\\xaa\\xbb\\xdd..", b"\\xaa\\xbb\\xcc", 1)]
    [(2, 1)]

A match is a window within edit distance ``max_distance`` of the pattern
and with similarity ``1 - d / max(m, len) >= min_similarity``; matches are
made non-overlapping by (best similarity, then leftmost, then longest),
per pattern. Patterns are bytes (matched exactly, position by position) or
text in the fuzzy syntax: ``"{ 4D 5A ?? ?0 }"``, ``"\\\\xAA\\\\x??"``, or plain
hex ``"AABB??C?"``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, NamedTuple, Optional, Sequence, Union

from . import _lib
from ._lib import ffi, lib

MODES = {"levenshtein": 0, "hamming": 1}
_NO_SUBSTITUTE, _NO_INSERT, _NO_DELETE = 1, 2, 4
OPS = ("match", "substitute", "insert", "delete")


def pattern_text(pattern: Union[str, bytes, bytearray, memoryview]) -> bytes:
    """The fuzzy-syntax text of a pattern: bytes become ``\\xNN`` escapes
    (every byte exact); str is taken as fuzzy syntax."""
    if isinstance(pattern, str):
        return pattern.encode()
    return b"".join(b"\\x%02x" % c for c in bytes(pattern))


class FuzzyMatch:
    """``offset``, ``length``, ``end``, ``distance``, ``similarity``,
    ``pattern`` (index), ``name`` and ``data`` (the window's bytes)."""

    __slots__ = ("offset", "length", "distance", "similarity", "pattern", "name", "data")

    def __init__(self, m: Any, name: str) -> None:
        self.offset = int(m.offset)
        self.length = int(m.length)
        self.distance = int(m.distance)
        self.similarity = float(m.similarity)
        self.pattern = int(m.pattern)
        self.name = name
        self.data = ffi.buffer(m.bytes, m.length)[:]

    @property
    def end(self) -> int:
        return self.offset + self.length

    def __repr__(self) -> str:
        return (f"FuzzyMatch(offset={self.offset}, length={self.length}, "
                f"distance={self.distance}, similarity={self.similarity:.4g}, "
                f"pattern={self.pattern})")


class Edit(NamedTuple):
    """One step of an alignment: ``op`` is match, substitute, insert (a
    window byte with no pattern position) or delete (a pattern position with
    no window byte); positions are -1 where they do not apply."""

    op: str
    pattern_pos: int
    data_pos: int
    pattern_value: int
    pattern_mask: int
    data_byte: int


class Spec(NamedTuple):
    """One fuzzy pattern: see :func:`compile`."""

    pattern: Union[str, bytes]
    max_distance: int = 1
    mode: str = "levenshtein"
    min_similarity: float = 0.0
    substitutions: bool = True
    insertions: bool = True
    deletions: bool = True
    name: Optional[str] = None


@ffi.callback("trawl_fuzzy_match_fn", onerror=lambda *a: 1)
def _on_match(m: Any, ud: Any) -> int:
    job = ffi.from_handle(ud)
    try:
        return 1 if job.fn(m) else 0
    except BaseException as e:
        job.error = e
        return 1


class _Job:
    __slots__ = ("fn", "error")

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn
        self.error: Optional[BaseException] = None


class FuzzyDatabase:
    """Compiled fuzzy patterns; immutable, shareable across threads (each
    scan opens its own stream state)."""

    def __init__(self, specs: Sequence[Spec]) -> None:
        if not specs:
            raise ValueError("at least one pattern is required")
        cs = ffi.new("trawl_fuzzy_spec[]", len(specs))
        keep = []
        for i, sp in enumerate(specs):
            if sp.mode not in MODES:
                raise ValueError(f"mode must be one of {sorted(MODES)}, not {sp.mode!r}")
            text = ffi.new("char[]", pattern_text(sp.pattern))
            name = ffi.new("char[]", sp.name.encode()) if sp.name is not None else ffi.NULL
            keep += [text, name]
            cs[i].pattern = text
            cs[i].name = name
            cs[i].max_distance = sp.max_distance
            cs[i].mode = MODES[sp.mode]
            cs[i].min_similarity = sp.min_similarity
            cs[i].flags = ((0 if sp.substitutions else _NO_SUBSTITUTE)
                           | (0 if sp.insertions else _NO_INSERT)
                           | (0 if sp.deletions else _NO_DELETE))
            if sp.max_distance < 0:
                raise ValueError("max_distance must be >= 0")
        out = ffi.new("trawl_fuzzy_db **")
        err = _lib.new_error()
        _lib.check(lib.trawl_fuzzy_compile(cs, len(specs), out, err), err)
        self._ptr = ffi.gc(out[0], lib.trawl_fuzzy_db_free)
        self.specs = list(specs)
        self.names = [sp.name if sp.name is not None else f"p{i}" for i, sp in enumerate(specs)]

    def __len__(self) -> int:
        return len(self.specs)

    def pattern_length(self, i: int = 0) -> int:
        """m, the number of positions of pattern i."""
        return int(lib.trawl_fuzzy_db_pattern_length(self._ptr, i))

    def kernel(self, i: int = 0) -> str:
        """How pattern i is scanned (``"myers"``, ``"bitap+seed"``, ...)."""
        return ffi.string(lib.trawl_fuzzy_db_kernel(self._ptr, i)).decode()

    def _open(self) -> Any:
        out = ffi.new("trawl_fuzzy_stream **")
        err = _lib.new_error()
        _lib.check(lib.trawl_fuzzy_stream_open(self._ptr, out, err), err)
        return _lib.gc(out[0], lib.trawl_fuzzy_stream_free, self._ptr)

    def _match(self, m: Any) -> FuzzyMatch:
        return FuzzyMatch(m, self.names[m.pattern])

    def scan(self, data: Any, *,
             callback: Optional[Callable[[FuzzyMatch], Any]] = None) -> Any:
        """Without callback: the list of :class:`FuzzyMatch`, sorted by
        offset then pattern. With callback: calls it per match (increasing
        offset per pattern), a true return stops; returns the count."""
        buf = _lib.from_buffer(data)
        got: list[FuzzyMatch] = []
        count = [0]

        def deliver(m: Any) -> Any:
            fm = self._match(m)
            count[0] += 1
            if callback is not None:
                return callback(fm)
            got.append(fm)
            return 0

        job = _Job(deliver)
        err = _lib.new_error()
        st = lib.trawl_fuzzy_scan(self._open(), buf, len(buf), _on_match, ffi.new_handle(job), err)
        if job.error is not None:
            raise job.error
        if st not in (lib.TRAWL_OK, lib.TRAWL_ESTOPPED):
            _lib.raise_error(st, err)
        if callback is not None:
            return count[0]
        if len(self.specs) > 1:
            got.sort(key=lambda m: (m.offset, m.pattern))
        return got

    search = scan

    def finditer(self, data: Any) -> Iterator[FuzzyMatch]:
        return iter(self.scan(data))

    def stream(self) -> "FuzzyStream":
        return FuzzyStream(self)

    def align(self, window: Any, i: int = 0) -> tuple[int, list[Edit]]:
        """An optimal alignment of pattern i to ``window``: (distance,
        edits in window order). Ties prefer substitution, then deletion,
        then insertion."""
        buf = _lib.from_buffer(window)
        cap = self.pattern_length(i) + len(buf)
        edits = ffi.new("trawl_fuzzy_edit[]", max(cap, 1))
        n = ffi.new("size_t *")
        d = ffi.new("unsigned *")
        err = _lib.new_error()
        _lib.check(lib.trawl_fuzzy_align(self._ptr, i, buf, len(buf), edits, cap, n, d, err), err)
        return int(d[0]), [Edit(OPS[e.op], e.pattern_pos, e.data_pos, e.pattern_value,
                                e.pattern_mask, e.data_byte) for e in edits[0:n[0]]]


class FuzzyStream:
    """Fuzzy search over input in chunks: ``write(chunk)`` returns the
    matches that are final, ``finish()`` the rest; offsets are absolute.
    One thread at a time."""

    def __init__(self, db: FuzzyDatabase) -> None:
        self._db = db
        self._ptr = db._open()

    def _run(self, fn: Callable[..., int], *args: Any) -> list[FuzzyMatch]:
        got: list[FuzzyMatch] = []
        job = _Job(lambda m: got.append(self._db._match(m)))
        err = _lib.new_error()
        st = fn(self._ptr, *args, _on_match, ffi.new_handle(job), err)
        if job.error is not None:
            raise job.error
        _lib.check(st, err)
        return got

    def write(self, chunk: Any) -> list[FuzzyMatch]:
        buf = _lib.from_buffer(chunk)
        return self._run(lib.trawl_fuzzy_stream_write, buf, len(buf))

    def finish(self) -> list[FuzzyMatch]:
        return self._run(lib.trawl_fuzzy_stream_finish)

    def reset(self) -> None:
        lib.trawl_fuzzy_stream_reset(self._ptr)


def compile(patterns: Union[str, bytes, Spec, Sequence[Union[str, bytes, Spec]]],
            max_distance: int = 1, *, mode: str = "levenshtein", min_similarity: float = 0.0,
            substitutions: bool = True, insertions: bool = True, deletions: bool = True,
            names: Optional[Sequence[Optional[str]]] = None) -> FuzzyDatabase:
    """Compiles fuzzy patterns. Each item is a pattern (bytes or fuzzy
    syntax text) taking the keyword settings, or a :class:`Spec` of its own.
    ``mode``: ``"levenshtein"`` or ``"hamming"`` (substitutions only).
    Errors: :class:`~trawl.InvalidArgumentError` (k >= m, k > 64, ...),
    :class:`~trawl.PatternSyntaxError` with ``column``."""
    if isinstance(patterns, (str, bytes, bytearray, memoryview, Spec)):
        patterns = [patterns]  # type: ignore[list-item]
    specs = []
    for i, p in enumerate(patterns):  # type: ignore[union-attr]
        if isinstance(p, Spec):
            specs.append(p)
        else:
            specs.append(Spec(p, max_distance, mode, min_similarity, substitutions, insertions,
                              deletions, names[i] if names is not None else None))
    return FuzzyDatabase(specs)


def fuzzy_search(data: Any, pattern: Union[str, bytes], max_distance: int = 1,
                 **kw: Any) -> list[FuzzyMatch]:
    """One-shot :func:`compile` + scan."""
    return compile(pattern, max_distance, **kw).scan(data)


class Pair(NamedTuple):
    a: int
    b: int
    distance: int


@ffi.callback("trawl_fuzzy_pair_fn", onerror=lambda *a: 1)
def _on_pair(p: Any, ud: Any) -> int:
    job = ffi.from_handle(ud)
    try:
        return 1 if job.fn(p) else 0
    except BaseException as e:
        job.error = e
        return 1


def similar(data: Any, length: int, max_distance: int = 1, *, mode: str = "levenshtein",
            limit: int = 0) -> list[Pair]:
    """Every pair of ``length``-byte windows (a < b, overlapping windows
    included) within ``max_distance`` of each other, in (a, b) order
    (trawl_fuzzy_similar). ``limit`` > 0 stops after that many pairs."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {sorted(MODES)}, not {mode!r}")
    buf = _lib.from_buffer(data)
    got: list[Pair] = []

    def deliver(p: Any) -> bool:
        got.append(Pair(int(p.a), int(p.b), int(p.distance)))
        return bool(limit) and len(got) >= limit

    job = _Job(deliver)
    err = _lib.new_error()
    st = lib.trawl_fuzzy_similar(buf, len(buf), length, max_distance, MODES[mode], _on_pair,
                                 ffi.new_handle(job), err)
    if job.error is not None:
        raise job.error
    if st not in (lib.TRAWL_OK, lib.TRAWL_ESTOPPED):
        _lib.raise_error(st, err)
    return got
