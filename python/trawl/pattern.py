"""Binary patterns: compile once, scan many times (include/trawl/pattern.h).

    >>> import trawl
    >>> db = trawl.compile([rb"\\xAA\\x55.{2}", "{ 4D 5A ?? 00 }"], names=["sync", "mz"])
    >>> [(m.offset, m.name) for m in db.scan(b"..\\xaa\\x55\\x01\\x02MZ\\x90\\x00")]
    [(2, 'sync'), (6, 'mz')]

Semantics are the library's (docs/pattern-syntax.md): ``.`` is any byte,
``??`` any byte, ``\\x?A`` a nibble; matches of each pattern are
leftmost-longest and non-overlapping (``overlap=True``: every start, longest
match from each); offsets are absolute.
"""

from __future__ import annotations

import struct
import threading
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from . import _lib
from ._lib import ffi, lib

SYNTAX = {"auto": 0, "regex": 1, "hex": 2, "literal": 3}
_NOCASE = 1
_OVERLAP = 1
_BLOCK_ONLY = 1

PatternText = Union[str, bytes]

# trawl_match read as (offset, length, pattern) tuples by struct's C loop;
# the layout is cffi's (64-bit: offset, length, pattern, 4 pad, data).
assert (ffi.offsetof("trawl_match", "length"), ffi.offsetof("trawl_match", "pattern"),
        ffi.sizeof("trawl_match")) == (8, 16, 32)
_MATCH = struct.Struct("=QQI12x")
_OK, _ESTOPPED = lib.TRAWL_OK, lib.TRAWL_ESTOPPED


def _arg(data: Any) -> Any:
    """data as a uint8_t * argument: bytes as they are (cffi passes their
    storage; no view object to make), anything else through from_buffer."""
    return data if type(data) is bytes else _lib.from_buffer(data)


class Match:
    """One match: ``offset``, ``length``, ``end``, ``pattern`` (index in the
    database), ``name`` and ``data`` (the matched bytes, a memoryview of the
    scanned buffer for block scans, bytes for streams)."""

    __slots__ = ("offset", "length", "pattern", "_db", "_src", "_base")

    def __init__(self, offset: int, length: int, pattern: int, db: "Database", src: Any,
                 base: int = 0) -> None:
        self.offset = offset
        self.length = length
        self.pattern = pattern
        self._db = db
        self._src = src  # the scanned buffer, or (streams) a copy of the match
        self._base = base  # the offset of src's first byte

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def name(self) -> Optional[str]:
        return self._db.names[self.pattern]

    @property
    def data(self) -> memoryview:
        start = self.offset - self._base
        return memoryview(self._src).cast("B")[start:start + self.length]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Match):
            return NotImplemented
        return (self.offset, self.length, self.pattern) == (other.offset, other.length,
                                                            other.pattern)

    def __hash__(self) -> int:
        return hash((self.offset, self.length, self.pattern))

    def __repr__(self) -> str:
        return f"Match(offset={self.offset}, length={self.length}, pattern={self.pattern})"


class PatternInfo:
    """What a compiled pattern is (trawl_pattern_info)."""

    __slots__ = ("name", "expression", "syntax", "nocase", "min_width", "max_width",
                 "anchored_start")

    def __init__(self, info: Any) -> None:
        self.name = ffi.string(info.name).decode() if info.name != ffi.NULL else None
        self.expression = ffi.string(info.expression)
        self.syntax = [k for k, v in SYNTAX.items() if v == info.syntax][0]
        self.nocase = bool(info.flags & _NOCASE)
        self.min_width = int(info.min_width)
        self.max_width = None if info.max_width == 2**64 - 1 else int(info.max_width)
        self.anchored_start = bool(info.anchored_start)

    def __repr__(self) -> str:
        return (f"PatternInfo(name={self.name!r}, expression={self.expression!r}, "
                f"syntax={self.syntax!r}, width={self.min_width}..{self.max_width})")


def _set_add(s: Any, text: PatternText, syntax: str, nocase: bool, name: Optional[str],
             err: Any) -> None:
    if syntax not in SYNTAX:
        raise ValueError(f"syntax must be one of {sorted(SYNTAX)}, not {syntax!r}")
    raw = _lib.cstr(text)
    cname = name.encode() if name is not None else ffi.NULL
    st = lib.trawl_pattern_set_add(s, raw, len(raw), SYNTAX[syntax], _NOCASE if nocase else 0,
                                   cname, err)
    _lib.check(st, err)


def _new_set() -> Any:
    out = ffi.new("trawl_pattern_set **")
    _lib.check(lib.trawl_pattern_set_new(out))
    return ffi.gc(out[0], lib.trawl_pattern_set_free)


def _compile_set(s: Any, block_only: bool) -> "Database":
    err = _lib.new_error()
    out = ffi.new("trawl_pattern_db **")
    st = lib.trawl_pattern_compile_ex(s, _BLOCK_ONLY if block_only else 0, out, err)
    _lib.check(st, err)
    return Database(ffi.gc(out[0], lib.trawl_pattern_db_free))


def compile(patterns: Union[PatternText, Sequence[PatternText]], *, syntax: str = "auto",
            nocase: bool = False, names: Optional[Sequence[Optional[str]]] = None,
            block_only: bool = False) -> "Database":
    """Compiles one pattern or a sequence of them into a :class:`Database`.

    ``syntax``: ``"auto"`` (YARA hex when the text starts with ``{``, else
    regex), ``"regex"``, ``"hex"`` or ``"literal"``. ``nocase``: ASCII letters
    match either case. ``names``: one name (or None) per pattern.
    ``block_only``: about half the compile time and memory, but no streams
    (it serializes as a block-only database). Raises :class:`~trawl.PatternSyntaxError` (with
    ``index`` and ``column``), :class:`~trawl.UnsupportedError`,
    :class:`~trawl.LimitError` or :class:`~trawl.EngineError`.
    """
    if isinstance(patterns, (str, bytes, bytearray, memoryview)):
        patterns = [patterns]  # type: ignore[list-item]
    pats = list(patterns)
    if names is not None and len(names) != len(pats):
        raise ValueError(f"{len(names)} names for {len(pats)} patterns")
    s = _new_set()
    err = _lib.new_error()
    for i, p in enumerate(pats):
        _set_add(s, p, syntax, nocase, names[i] if names is not None else None, err)
    return _compile_set(s, block_only)


def compile_rules(text: PatternText, *, block_only: bool = False) -> "Database":
    """Compiles a rule file's text (``name: pattern`` lines,
    docs/pattern-syntax.md). Errors carry ``line`` and ``column``."""
    raw = _lib.cstr(text)
    s = _new_set()
    err = _lib.new_error()
    _lib.check(lib.trawl_pattern_set_add_rules(s, raw, len(raw), err), err)
    return _compile_set(s, block_only)


@ffi.callback("trawl_match_fn", onerror=lambda *a: 1)
def _on_match(m: Any, ud: Any) -> int:
    job = ffi.from_handle(ud)
    try:
        return job(m)
    except BaseException as e:  # stop the scan; re-raised by the caller
        job.error = e
        return 1


class _Job:
    """The Python side of one C callback scan."""

    __slots__ = ("fn", "error", "count")

    def __init__(self, fn: Callable[[Any], int]) -> None:
        self.fn = fn
        self.error: Optional[BaseException] = None
        self.count = 0

    def __call__(self, m: Any) -> int:
        self.count += 1
        return 1 if self.fn(m) else 0


class Database:
    """An immutable compiled pattern set. Any number of threads may scan
    it at once: each thread gets its own scratch, made on first use."""

    def __init__(self, ptr: Any) -> None:
        self._ptr = ptr
        self._local = threading.local()
        n = lib.trawl_pattern_db_count(ptr)
        info = ffi.new("trawl_pattern_info *")
        self.infos = []
        for i in range(n):
            _lib.check(lib.trawl_pattern_info_get(ptr, i, info))
            self.infos.append(PatternInfo(info))
        self.names = [p.name for p in self.infos]

    def __len__(self) -> int:
        return len(self.infos)

    def __repr__(self) -> str:
        return f"<trawl.Database of {len(self)} pattern(s)>"

    def _scratch(self) -> Any:
        s = getattr(self._local, "s", None)
        if s is None:
            out = ffi.new("trawl_scratch **")
            err = _lib.new_error()
            _lib.check(lib.trawl_scratch_alloc(self._ptr, out, err), err)
            s = self._local.s = ffi.gc(out[0], lib.trawl_scratch_free)
            # the scratch and out-parameters of a collecting scan, reused
            # by this thread
            self._local.kit = (s, ffi.new("trawl_match **"), ffi.new("size_t *"), err)
        return s

    def _collect(self, buf: Any, overlap: bool, limit: int) -> tuple[Any, int]:
        """Scans buf (a cffi view, or bytes, which cffi passes without a
        view): (matches array -- free it with lib.trawl_matches_free -- and
        its count)."""
        try:
            s, out, n, err = self._local.kit
        except AttributeError:
            self._scratch()
            s, out, n, err = self._local.kit
        st = lib.trawl_scan_collect(self._ptr, s, buf, len(buf), _OVERLAP if overlap else 0,
                                    limit, out, n, err)
        if st != _OK and st != _ESTOPPED:
            _lib.raise_error(st, err)
        return out[0], n[0]

    def scan(self, data: Any, *, overlap: bool = False, limit: int = 0,
             callback: Optional[Callable[[Match], Any]] = None) -> Any:
        """Scans a bytes-like object without copying it.

        Without ``callback``: returns the list of :class:`Match`, sorted by
        offset then pattern index; ``limit`` > 0 keeps only the first
        ``limit`` matches the engine reports (then the scan stops).

        With ``callback``: calls ``callback(match)`` during the scan, in the
        engine's order (increasing offset per pattern; patterns may
        interleave), in memory independent of the match count; a true return
        value stops the scan. Returns the number of matches delivered. An
        exception in the callback stops the scan and is re-raised.
        """
        buf = _arg(data)
        if callback is not None:
            db = self

            def deliver(m: Any) -> Any:
                return callback(Match(m.offset, m.length, m.pattern, db, data))

            job = _Job(deliver)
            err = _lib.new_error()
            h = ffi.new_handle(job)
            st = lib.trawl_scan(self._ptr, self._scratch(), buf, len(buf),
                                _OVERLAP if overlap else 0, _on_match, h, err)
            if job.error is not None:
                raise job.error
            if st not in (lib.TRAWL_OK, lib.TRAWL_ESTOPPED):
                _lib.raise_error(st, err)
            return job.count
        arr, n = self._collect(buf, overlap, limit)
        if not n:
            return []
        try:
            res = [Match(o, ln, p, self, data) for (o, ln, p) in
                   _MATCH.iter_unpack(ffi.buffer(arr, n * _MATCH.size))]
        finally:
            lib.trawl_matches_free(arr)
        if len(self.infos) > 1:
            res.sort(key=lambda m: (m.offset, m.pattern))
        return res

    def finditer(self, data: Any, *, overlap: bool = False) -> Iterator[Match]:
        """Iterates over the matches of :meth:`scan` (one scan, then the
        matches one by one)."""
        return iter(self.scan(data, overlap=overlap))

    def count(self, data: Any, *, overlap: bool = False) -> int:
        """The number of matches, without making Match objects."""
        arr, n = self._collect(_arg(data), overlap, 0)
        if n:  # (no match: nothing was allocated)
            lib.trawl_matches_free(arr)
        return n

    def counts(self, data: Any, *, overlap: bool = False) -> list[int]:
        """The number of matches of each pattern, indexed by pattern."""
        buf = _arg(data)
        arr, n = self._collect(buf, overlap, 0)
        out = [0] * len(self.infos)
        try:
            for (_, _, p) in _MATCH.iter_unpack(ffi.buffer(arr, n * _MATCH.size)):
                out[p] += 1
        finally:
            lib.trawl_matches_free(arr)
        return out

    def scan_arrays(self, data: Any, *, overlap: bool = False, limit: int = 0) -> Any:
        """The matches as three NumPy arrays ``(offsets, lengths, patterns)``
        (uint64, uint64, uint32), sorted by offset then pattern: no Python
        object per match. Needs NumPy."""
        import numpy as np

        buf = _lib.from_buffer(data)
        arr, n = self._collect(buf, overlap, limit)
        arr = ffi.gc(arr, lib.trawl_matches_free)
        dt = np.dtype({"names": ["offset", "length", "pattern"],
                       "formats": ["<u8", "<u8", "<u4"],
                       "offsets": [ffi.offsetof("trawl_match", "offset"),
                                   ffi.offsetof("trawl_match", "length"),
                                   ffi.offsetof("trawl_match", "pattern")],
                       "itemsize": ffi.sizeof("trawl_match")})
        rec = np.frombuffer(ffi.buffer(arr, n * ffi.sizeof("trawl_match")), dtype=dt) if n else \
            np.zeros(0, dtype=dt)
        order = np.lexsort((rec["pattern"], rec["offset"])) if len(self.infos) > 1 else slice(None)
        return (rec["offset"][order].copy(), rec["length"][order].copy(),
                rec["pattern"][order].copy())

    def stream(self, *, overlap: bool = False, window_max: int = 0) -> "Stream":
        """A :class:`Stream` for scanning input that arrives in chunks."""
        return Stream(self, overlap, window_max)

    def serialize(self) -> bytes:
        """The database as bytes (patterns and compiled engine), for
        :meth:`deserialize` on a machine of the same kind."""
        out = ffi.new("uint8_t **")
        n = ffi.new("size_t *")
        err = _lib.new_error()
        _lib.check(lib.trawl_pattern_db_serialize(self._ptr, out, n, err), err)
        try:
            return ffi.buffer(out[0], n[0])[:]
        finally:
            _lib.libc.free(out[0])

    @classmethod
    def deserialize(cls, buf: Any) -> "Database":
        """Loads :meth:`serialize`'s bytes. :class:`~trawl.FormatError` for
        damaged bytes, :class:`~trawl.VersionError` for another trawl or
        CPU."""
        b = _lib.from_buffer(buf)
        out = ffi.new("trawl_pattern_db **")
        err = _lib.new_error()
        _lib.check(lib.trawl_pattern_db_deserialize(b, len(b), out, err), err)
        return cls(ffi.gc(out[0], lib.trawl_pattern_db_free))


class Stream:
    """Scans input in chunks with bounded memory; matches across chunk
    boundaries are found and offsets are absolute. ``write(chunk)`` returns
    the matches completed so far, ``close()`` the rest. One thread at a
    time. Usable as a context manager (closes on exit)."""

    def __init__(self, db: Database, overlap: bool, window_max: int) -> None:
        self._db = db
        out = ffi.new("trawl_stream **")
        err = _lib.new_error()
        st = lib.trawl_stream_open(db._ptr, _OVERLAP if overlap else 0, window_max, out, err)
        _lib.check(st, err)
        self._ptr = _lib.gc(out[0], lib.trawl_stream_free, db._ptr)
        self._closed = False

    @property
    def offset(self) -> int:
        """Bytes written so far."""
        return int(lib.trawl_stream_offset(self._ptr))

    def _run(self, fn: Callable[..., int], *args: Any) -> list[Match]:
        got: list[Match] = []
        db = self._db

        def deliver(m: Any) -> int:
            got.append(Match(m.offset, m.length, m.pattern, db,
                             ffi.buffer(m.data, m.length)[:], m.offset))
            return 0

        job = _Job(deliver)
        err = _lib.new_error()
        st = fn(self._ptr, db._scratch(), *args, _on_match, ffi.new_handle(job), err)
        if job.error is not None:
            raise job.error
        _lib.check(st, err)
        return got

    def write(self, chunk: Any) -> list[Match]:
        if self._closed:
            raise _lib.errors.StateError("the stream is closed")
        buf = _lib.from_buffer(chunk)
        return self._run(lib.trawl_stream_write, buf, len(buf))

    def close(self) -> list[Match]:
        if self._closed:
            return []
        self._closed = True
        return self._run(lib.trawl_stream_close)

    def __enter__(self) -> "Stream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._closed = True


def scan(pattern: Union[PatternText, Sequence[PatternText]], data: Any, **kw: Any) -> list[Match]:
    """Compiles and scans once: ``trawl.scan(r"\\xAA.\\x55", data)``. For
    repeated scans compile once with :func:`compile`."""
    syntax = kw.pop("syntax", "auto")
    nocase = kw.pop("nocase", False)
    return compile(pattern, syntax=syntax, nocase=nocase, block_only=True).scan(data, **kw)


def finditer(pattern: Union[PatternText, Sequence[PatternText]], data: Any,
             **kw: Any) -> Iterator[Match]:
    return iter(scan(pattern, data, **kw))
