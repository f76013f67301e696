"""Format inference and checksum recovery (include/trawl/infer.h,
docs/infer.md).

    >>> import trawl.infer as ti
    >>> crc16 = ti.Crc(16, 0x1021, 0xFFFF)          # CRC-16/CCITT-FALSE
    >>> hex(crc16.compute(b"123456789"))
    '0x29b1'

:func:`infer` takes captured messages (bytes, or :class:`Message` with
ports, flow and time, or a pcap path) and returns message types, their
fields and what each field holds; :func:`recover` finds the checksum
algorithm behind (message, checksum) pairs; :func:`locate` finds where a
checksum sits in messages and what computes it.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple, Optional, Sequence, Union

from . import _lib
from ._lib import ffi, lib

KINDS = ("crc", "sum", "ones-sum", "xor", "fletcher", "adler")
FIELD_KINDS = tuple(ffi.string(lib.trawl_field_kind_name(i)).decode() for i in range(12))


class Crc(NamedTuple):
    """A CRC in the Rocksoft/RevEng model (poly and init in normal
    notation)."""

    width: int
    poly: int
    init: int = 0
    refin: bool = False
    refout: bool = False
    xorout: int = 0

    def _c(self) -> Any:
        return ffi.new("trawl_crc_params *", dict(self._asdict()))

    def compute(self, data: Any) -> int:
        b = _lib.from_buffer(data)
        return int(lib.trawl_crc_compute(self._c(), b, len(b)))


class Checksum:
    """A recovered checksum algorithm: ``kind`` (crc, sum, ones-sum, xor,
    fletcher, adler), ``width`` in bits, ``crc`` (a :class:`Crc` for kind
    crc), ``describe()`` (the catalogue's notation) and ``compute(data)``."""

    def __init__(self, algo: Any) -> None:
        self._a = ffi.new("trawl_check_algo *")
        self._a[0] = algo
        self.kind = KINDS[algo.kind]
        self.width = int(algo.width)
        c = algo.crc
        self.crc = Crc(c.width, c.poly, c.init, c.refin, c.refout, c.xorout) \
            if self.kind == "crc" else None

    def compute(self, data: Any) -> int:
        b = _lib.from_buffer(data)
        return int(lib.trawl_check_compute(self._a, b, len(b)))

    def describe(self) -> str:
        buf = ffi.new("char[256]")
        lib.trawl_check_describe(self._a, buf, 256)
        return ffi.string(buf).decode()

    def __repr__(self) -> str:
        return f"Checksum({self.describe()!r})"


def _kinds(kinds: Optional[Sequence[str]]) -> int:
    if kinds is None:
        return 0
    m = 0
    for k in kinds:
        if k not in KINDS:
            raise ValueError(f"checksum kinds are {KINDS}, not {k!r}")
        m |= 1 << KINDS.index(k)
    return m


def recover(samples: Sequence[tuple[Any, int]], width: int,
            kinds: Optional[Sequence[str]] = None) -> Optional[Checksum]:
    """The algorithm of ``kinds`` (default all) whose ``width``-bit value is
    the given checksum of every (message, checksum) sample; None when none
    is."""
    keep = [_lib.from_buffer(m) for m, _ in samples]
    arr = ffi.new("trawl_check_sample[]", max(len(keep), 1))
    for i, (b, (_, c)) in enumerate(zip(keep, samples)):
        arr[i].data.ptr = b
        arr[i].data.len = len(b)
        arr[i].check = c
    out = ffi.new("trawl_check_algo *")
    found = ffi.new("bool *")
    err = _lib.new_error()
    _lib.check(lib.trawl_check_recover(arr, len(keep), width, _kinds(kinds), out, found, err),
               err)
    return Checksum(out[0]) if found[0] else None


class Place(NamedTuple):
    """Where a checksum sits: ``offset`` (< 0 from the end), ``size``
    bytes, ``big_endian``; it covers bytes ``from_`` .. ``to`` (< 0 from the
    end; 0 = up to the checksum)."""

    offset: int
    size: int
    big_endian: bool
    from_: int
    to: int


def locate(msgs: Sequence[Any], *, sizes: Sequence[int] = (1, 2, 4),
           kinds: Optional[Sequence[str]] = None, max_skip: int = 8,
           where: str = "both") -> Optional[tuple[Place, Checksum]]:
    """Finds a checksum at the end (then the start) of every message and
    its algorithm; ``where``: both, trailing or leading."""
    spans, keep = _lib.spans(msgs)
    sz = 0
    for s in sizes:
        sz |= s
    o = ffi.new("trawl_check_locate_opts *", {"sizes": sz, "kinds": _kinds(kinds),
                                               "max_skip": max_skip,
                                               "leading_only": where == "leading",
                                               "trailing_only": where == "trailing"})
    place = ffi.new("trawl_check_place *")
    algo = ffi.new("trawl_check_algo *")
    found = ffi.new("bool *")
    err = _lib.new_error()
    _lib.check(lib.trawl_check_locate(spans, len(keep), o, place, algo, found, err), err)
    if not found[0]:
        return None
    return (Place(place.offset, place.size, bool(place.big_endian), getattr(place, "from"),
                  place.to), Checksum(algo[0]))


class Message(NamedTuple):
    """A message and where it came from (0 / 0.0 when unknown)."""

    data: Any
    src_port: int = 0
    dst_port: int = 0
    flow: int = 0
    dir: int = 0
    ts: float = 0.0


class Field(NamedTuple):
    offset: int
    size: int  # 0 = to the end of the message
    kind: str
    big_endian: bool
    confidence: float
    n_values: int
    value: int  # const: the value
    checksum: Optional[tuple[Place, Checksum]]  # checksum fields
    length_from: int  # length fields: value = len - length_from + length_adjust
    length_adjust: int
    ts_unit: int  # timestamps: units per second
    section_with: int = -1  # a section's length: the other length's offset (-1: none)


class MessageType(NamedTuple):
    id: int
    port: int
    key_offset: int  # the type field's offset, -1 when the port has one type
    key_value: int
    cluster: int  # without a type field: the cluster its messages form, -1 when none
    messages: int
    min_len: int
    max_len: int
    big_endian: bool
    fields: list[Field]


class Inference:
    """The result of :func:`infer`: ``types``, and per message its type
    (:meth:`type_of`) and field boundaries (:meth:`bounds`)."""

    def __init__(self, ptr: Any, n: int, frames: Optional[list[int]] = None) -> None:
        self._ptr = ptr
        self.n = n
        self.frames = frames
        self.types = [self._type(lib.trawl_infer_type_get(ptr, i))
                      for i in range(lib.trawl_infer_type_count(ptr))]

    @staticmethod
    def _field(f: Any) -> Field:
        kind = FIELD_KINDS[f.kind]
        chk = None
        if kind == "checksum":
            c = f.check
            chk = (Place(c.offset, c.size, bool(c.big_endian), getattr(c, "from"), c.to),
                   Checksum(f.algo))
        return Field(int(f.offset), int(f.size), kind, bool(f.big_endian), float(f.confidence),
                     int(f.n_values), int(f.value), chk, int(f.len_from), int(f.len_adjust),
                     int(f.ts_unit), int(f.sect_with) if f.sect_size else -1)

    def _type(self, t: Any) -> MessageType:
        return MessageType(int(t.id), int(t.port), int(t.key_offset), int(t.key_value),
                           int(t.cluster), int(t.n_msgs), int(t.min_len), int(t.max_len), bool(t.big_endian),
                           [self._field(t.fields[k]) for k in range(t.n_fields)])

    def type_of(self, i: int) -> int:
        return int(lib.trawl_infer_msg_type(self._ptr, i))

    def bounds(self, i: int) -> list[int]:
        nb = ffi.new("size_t *")
        b = lib.trawl_infer_msg_bounds(self._ptr, i, nb, ffi.NULL)
        return [int(x) for x in b[0:nb[0]]] if b != ffi.NULL else []


def infer(messages: Union[str, "os.PathLike[str]", Sequence[Any]], *, max_types: int = 0,
          types: bool = True, checksums: bool = True, max_prefix: int = 0) -> Inference:
    """Infers message types, fields and field kinds. ``messages``: a pcap
    path (TCP/UDP payloads with ports, flows and times), or a sequence of
    bytes-like objects or :class:`Message`. ``types=False``: one type per
    port; ``checksums=False`` skips checksum recovery (the costliest
    part)."""
    o = ffi.new("trawl_infer_opts *", {"max_types": max_types, "no_types": not types,
                                        "no_checksums": not checksums,
                                        "max_prefix": max_prefix})
    err = _lib.new_error()
    out = ffi.new("trawl_infer_result **")
    if isinstance(messages, (str, os.PathLike)):
        inp = ffi.new("trawl_infer_input **")
        _lib.check(lib.trawl_infer_input_pcap(os.fsencode(messages), inp, err), err)
        src = ffi.gc(inp[0], lib.trawl_infer_input_free)
        n = ffi.new("size_t *")
        msgs = lib.trawl_infer_input_msgs(src, n)
        _lib.check(lib.trawl_infer_run(msgs, n[0], o, out, err), err)
        frames = [int(lib.trawl_infer_input_frame(src, i)) for i in range(n[0])]
        return Inference(ffi.gc(out[0], lib.trawl_infer_result_free), n[0], frames)
    ms = [m if isinstance(m, Message) else Message(m) for m in messages]
    keep = [_lib.from_buffer(m.data) for m in ms]
    arr = ffi.new("trawl_infer_msg[]", max(len(ms), 1))
    for i, (m, b) in enumerate(zip(ms, keep)):
        arr[i].data.ptr = b
        arr[i].data.len = len(b)
        arr[i].src_port = m.src_port
        arr[i].dst_port = m.dst_port
        arr[i].flow = m.flow
        arr[i].dir = m.dir
        arr[i].ts = m.ts
    _lib.check(lib.trawl_infer_run(arr, len(ms), o, out, err), err)
    return Inference(ffi.gc(out[0], lib.trawl_infer_result_free), len(ms))


def generate(seed: int, messages: int) -> tuple[bytes, str]:
    """A random protocol's capture (classic pcap bytes) and its truth
    (JSON lines naming each field "trawl.KIND.N"): same seed, same
    bytes."""
    pcap = ffi.new("uint8_t **")
    plen = ffi.new("size_t *")
    truth = ffi.new("char **")
    tlen = ffi.new("size_t *")
    err = _lib.new_error()
    _lib.check(lib.trawl_infer_generate(seed, messages, pcap, plen, truth, tlen, err), err)
    try:
        return ffi.buffer(pcap[0], plen[0])[:], ffi.buffer(truth[0], tlen[0])[:].decode()
    finally:
        _lib.libc.free(pcap[0])
        _lib.libc.free(truth[0])
