"""Framing: cut bytes into units (include/trawl/frame.h, docs/frame.md).

    >>> import trawl
    >>> tlv = trawl.TLV(type_size=1, length_size=1)
    >>> [(u.offset, u.type, bytes(u.value)) for u in tlv.units(b"\\x01\\x02ab\\x02\\x00")]
    [(0, 1, b'ab'), (4, 2, b'')]

A framer (:class:`TLV`, :class:`Records`, :class:`Packets`,
:class:`Delimited`) is an immutable format description, shareable across
threads. ``units(buffer)`` iterates over a buffer without copying it (unit
``data``/``value`` are memoryviews into it); ``read(source)`` iterates over a
file, file descriptor or file object in bounded memory (``data``/``value``
are bytes). ``arrays(buffer)`` returns every unit as one NumPy structured
array.

Malformed input is never skipped silently. By default the first fault ends
the iteration with :class:`~trawl.FrameError` (``kind``, ``offset``,
``index``) after every complete unit before it was delivered; with
``resync=True`` the framer skips the damaged stretch and goes on, and each
fault comes out of the iterator as a :class:`Fault` among the units.
"""

from __future__ import annotations

import errno as _errno
import io
import os
import struct
import threading
from itertools import repeat
from typing import Any, Iterable, Iterator, NamedTuple, Optional, Union

from . import _lib, errors
from ._lib import ffi, lib
from .structfmt import Struct

_RESYNC = 1
_BATCH = 1024  # units per C call (64 KiB of trawl_frame_unit per kit)
_EMPTY = memoryview(b"")


class Unit:
    """One unit: ``index`` (from 0, input order; TLV pre-order),
    ``offset`` (absolute offset of its first byte), ``length``, ``data``
    (the whole unit: header, value, delimiter), ``value`` (the payload),
    ``value_offset`` (absolute offset of the value), ``type`` (TLV),
    ``depth`` (TLV nesting), ``container`` (TLV: children follow),
    ``terminated`` (delimited: ended by a delimiter). ``data`` and ``value``
    are sliced when read: memoryviews into the buffer for units(), bytes for
    read()."""

    __slots__ = ("index", "offset", "length", "value_offset", "value_length", "type", "depth",
                 "container", "terminated", "_src", "_base")

    def __init__(self, index: int, offset: int, length: int, value_offset: int,
                 value_length: int, type: int, depth: int, container: bool, terminated: bool,
                 src: Any, base: int = 0) -> None:
        self.index = index
        self.offset = offset
        self.length = length
        self.value_offset = value_offset
        self.value_length = value_length
        self.type = type
        self.depth = depth
        self.container = container
        self.terminated = terminated
        self._src = src  # the buffer (units) or a copy of this unit (read)
        self._base = base  # the offset of src's first byte

    @property
    def data(self) -> Any:
        at = self.offset - self._base
        return self._src[at:at + self.length]

    @property
    def value(self) -> Any:
        at = self.value_offset - self._base
        return self._src[at:at + self.value_length]

    def __repr__(self) -> str:
        return (f"Unit(index={self.index}, offset={self.offset}, length={self.length}, "
                f"type={self.type}, value={bytes(self.value)[:16]!r})")


def _from_row(r: tuple[Any, ...], src: Any, _new: Any = object.__new__,
              _cls: Any = Unit) -> Unit:
    """A Unit from a raw trawl_frame_unit tuple (see _unit_struct) of a
    buffer viewed by src: what Unit(...) makes, without the call through
    __init__'s eleven arguments (this runs once per unit)."""
    u = _new(_cls)
    (u.index, off, dp, u.length, vp, u.value_length, u.type, u.depth, u.container,
     u.terminated) = r
    u.offset = off
    u.value_offset = off + (vp - dp)  # data.ptr is the buffer's byte off
    u._src = src
    u._base = 0
    return u


class _Kit:
    """A C iterator with its unit batch (and that batch as a buffer) and
    fault record, reused by one thread; ``busy`` while an iteration holds
    it."""

    __slots__ = ("it", "batch", "raw", "fault", "busy")

    def __init__(self, it: Any) -> None:
        self.it = it
        self.batch = ffi.new("trawl_frame_unit[]", _BATCH)
        self.raw = ffi.buffer(self.batch)
        self.fault = ffi.new("trawl_frame_fault *")
        self.busy = False


class Fault(NamedTuple):
    """A malformed stretch (resync mode yields these among the units)."""

    kind: str
    offset: int
    index: int
    skipped: int
    errno: int
    message: str


def _fault(f: Any, extra: str = "") -> Fault:
    kind = ffi.string(lib.trawl_frame_fault_name(f.kind)).decode()
    msg = ffi.string(lib.trawl_frame_fault_message(f.kind)).decode()
    if extra:
        msg = f"{msg}: {extra}"
    return Fault(kind, int(f.offset), int(f.index), int(f.skipped), int(f.sys_errno), msg)


_TRUNCATED = {"truncated-header", "truncated-value", "short-tail"}


def fault_error(f: Any, units: object = None, extra: str = "") -> errors.FrameError:
    """The exception for a C fault record."""
    flt = _fault(f, extra)
    st = lib.trawl_frame_fault_to_error(f, ffi.NULL)
    cls = errors.TruncatedFrameError if flt.kind in _TRUNCATED else errors.FrameError
    err = cls(f"{flt.kind}: {flt.message}",
              kind=flt.kind, status=_lib.status_name(st), offset=flt.offset, index=flt.index,
              skipped=flt.skipped, units=units)
    if flt.kind == "io" and flt.errno:
        err.errno = flt.errno  # type: ignore[attr-defined]
    return err


class _Source:
    """A file object read by a C reader, and the exception its read raised
    (the reader reports the fault io; the iterator raises this instead)."""

    __slots__ = ("obj", "error")

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.error: Optional[BaseException] = None


@ffi.callback("trawl_frame_read_fn", onerror=lambda *a: -1)
def _on_read(ud: Any, buf: Any, cap: int) -> int:
    src = ffi.from_handle(ud)
    try:
        view = ffi.buffer(buf, cap)
        if hasattr(src.obj, "readinto"):
            n = src.obj.readinto(view)
            return 0 if n is None else n
        chunk = src.obj.read(cap)
        view[0:len(chunk)] = chunk
        return len(chunk)
    except BaseException as e:
        src.error = e
        ffi.errno = _errno.EIO
        return -1


class Framer:
    """Base of the four framers; not made directly."""

    _ptr: Any

    def _iter_ptr(self, resync: bool) -> Any:
        out = ffi.new("trawl_frame_iter **")
        err = _lib.new_error()
        _lib.check(lib.trawl_frame_iter_new(self._ptr, _RESYNC if resync else 0, out, err), err)
        return _lib.gc(out[0], lib.trawl_frame_iter_free, self._ptr)

    def units(self, data: Any, *, resync: bool = False) -> Iterator[Union[Unit, Fault]]:
        """Iterates over the units of a bytes-like object, zero-copy:
        ``data``/``value`` are memoryviews into it (keep it unchanged while
        you use them). Stop mode raises :class:`~trawl.FrameError` at the
        first fault; ``resync=True`` yields :class:`Fault` records and goes
        on."""
        src = _lib.from_buffer(data)
        mv = memoryview(data).cast("B") if len(src) else _EMPTY
        kit = self._take_kit(resync)
        try:
            it, batch, raw, fault = kit.it, kit.batch, kit.raw, kit.fault
            lib.trawl_frame_iter_reset(it, src, len(src))
            while True:
                n = lib.trawl_frame_iter_next_batch(it, batch, _BATCH)
                if n:
                    yield from map(_from_row, _UNIT.iter_unpack(raw[0:n * _UNIT.size]),
                                   repeat(mv))
                if n == _BATCH:
                    continue
                step = lib.trawl_frame_iter_next(it, batch, fault)  # into batch[0]
                if step == lib.TRAWL_FRAME_UNIT:
                    yield _from_row(_UNIT.unpack(raw[0:_UNIT.size]), mv)
                elif step == lib.TRAWL_FRAME_FAULT:
                    if not resync:
                        raise fault_error(fault)
                    yield _fault(fault)
                else:
                    return
        finally:
            kit.busy = False  # free for this thread's next iteration

    def _collect(self, src: Any, make: Any, row: struct.Struct = None) -> list[Any]:
        """Every unit of the viewed buffer src (from _lib.from_buffer; stop
        mode), framed _BATCH units per C call; each batch's records are
        unpacked by ``row`` (default _UNIT: index, offset, data.ptr,
        data.len, value.ptr, value.len, type, depth, container, terminated)
        and turned into the caller's objects by ``make(tuples)`` before the
        next batch (no list of every raw tuple). A fault raises FrameError
        whose ``units`` is the list of objects before it."""
        row = row or _UNIT
        size = row.size
        kit = self._take_kit(False)
        try:
            it, batch, raw, fault = kit.it, kit.batch, kit.raw, kit.fault
            lib.trawl_frame_iter_reset(it, src, len(src))
            n = lib.trawl_frame_iter_next_batch(it, batch, _BATCH)
            got = list(make(row.iter_unpack(raw[0:n * size])))
            while n == _BATCH:
                n = lib.trawl_frame_iter_next_batch(it, batch, _BATCH)
                got += make(row.iter_unpack(raw[0:n * size]))
            step = lib.trawl_frame_iter_next(it, batch, fault)
            while step == lib.TRAWL_FRAME_UNIT:  # (next_batch stopped short of a unit)
                got += make(row.iter_unpack(raw[0:size]))
                step = lib.trawl_frame_iter_next(it, batch, fault)
            if step == lib.TRAWL_FRAME_FAULT:
                raise fault_error(fault, units=got)
            return got
        finally:
            kit.busy = False

    def _take_kit(self, resync: bool) -> "_Kit":
        """An iterator, a unit batch and a fault record, kept per thread and
        mode (allocating them costs more than framing a short buffer); a
        fresh set when this thread's is busy (nested iterations)."""
        try:
            kits = self._local.kits
        except AttributeError:
            if "_local" not in self.__dict__:
                self.__dict__.setdefault("_local", threading.local())
            kits = self._local.kits = {}
        kit = kits.get(resync)
        if kit is None or kit.busy:
            kit = _Kit(self._iter_ptr(resync))
            kits.setdefault(resync, kit)
        kit.busy = True
        return kit

    def parse(self, data: Any, *, resync: bool = False) -> list[Union[Unit, Fault]]:
        """:meth:`units` as a list. In stop mode a fault raises
        :class:`~trawl.FrameError` whose ``units`` holds the list so far."""
        if resync:
            return list(self.units(data, resync=True))
        src = _lib.from_buffer(data)
        mv = memoryview(data).cast("B") if len(src) else _EMPTY
        return self._collect(src, lambda rows: map(_from_row, rows, repeat(mv)))

    def read(self, source: Any, *, window: int = 0,
             resync: bool = False) -> Iterator[Union[Unit, Fault]]:
        """Iterates over the units of a stream in bounded memory: a path
        (str or os.PathLike), an int file descriptor (not closed), or a file
        object (its ``fileno()`` when it has a real one, else its
        ``readinto``/``read``). ``window``: the read window in bytes
        (0 = 1 MiB); a unit larger than it is the fault
        ``record-too-large``/``packet-too-large``. Units hold bytes."""
        if isinstance(source, (str, bytes, os.PathLike)):
            fd = os.open(source, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                yield from self._read_fd(fd, window, resync)
            finally:
                os.close(fd)
            return
        if isinstance(source, int):
            yield from self._read_fd(source, window, resync)
            return
        if isinstance(source, io.FileIO):  # unbuffered: its descriptor is its position
            yield from self._read_fd(source.fileno(), window, resync)
            return
        if not (hasattr(source, "readinto") or hasattr(source, "read")):
            raise TypeError(f"cannot read units from {type(source).__name__!r}")
        yield from self._read_obj(source, window, resync)

    def _read_fd(self, fd: int, window: int, resync: bool) -> Iterator[Union[Unit, Fault]]:
        out = ffi.new("trawl_frame_reader **")
        err = _lib.new_error()
        st = lib.trawl_frame_reader_new_fd(self._ptr, fd, window, _RESYNC if resync else 0, out,
                                           err)
        _lib.check(st, err)
        yield from self._drain(_lib.gc(out[0], lib.trawl_frame_reader_free, self._ptr), resync,
                               None)

    def _read_obj(self, obj: Any, window: int, resync: bool) -> Iterator[Union[Unit, Fault]]:
        src = _Source(obj)
        h = ffi.new_handle(src)
        out = ffi.new("trawl_frame_reader **")
        err = _lib.new_error()
        st = lib.trawl_frame_reader_new(self._ptr, _on_read, h, window,
                                        _RESYNC if resync else 0, out, err)
        _lib.check(st, err)
        r = _lib.gc(out[0], lib.trawl_frame_reader_free, self._ptr, h)
        yield from self._drain(r, resync, src)

    def _drain(self, r: Any, resync: bool,
               src: Optional[_Source]) -> Iterator[Union[Unit, Fault]]:
        u = ffi.new("trawl_frame_unit *")
        fault = ffi.new("trawl_frame_fault *")
        while True:
            step = lib.trawl_frame_reader_next(r, u, fault)
            if step == lib.TRAWL_FRAME_UNIT:
                yield _unit_copy(u)
            elif step == lib.TRAWL_FRAME_FAULT:
                if src is not None and src.error is not None:
                    raise src.error
                if not resync:
                    raise fault_error(fault)
                yield _fault(fault)
            else:
                return

    def arrays(self, data: Any, *, resync: bool = False) -> Any:
        """Every unit of a bytes-like object as one NumPy structured array
        with fields ``index``, ``offset``, ``length``, ``value_offset``,
        ``value_length``, ``type`` (uint64), ``depth`` (uint32),
        ``container``, ``terminated`` (bool): no Python object per unit.
        Stop mode raises :class:`~trawl.FrameError` (its ``units`` holds the
        array of units before the fault); with ``resync=True`` returns
        ``(array, faults)``."""
        import numpy as np

        src = _lib.from_buffer(data)
        it = self._iter_ptr(resync)
        lib.trawl_frame_iter_reset(it, src, len(src))
        base = int(ffi.cast("uintptr_t", src))
        cdt = _c_unit_dtype(np)
        chunk = 16384
        batch = ffi.new("trawl_frame_unit[]", chunk)
        one = ffi.new("trawl_frame_unit *")
        fault = ffi.new("trawl_frame_fault *")
        raw: list[bytes] = []  # the C records, joined once (concatenating
        faults: list[Fault] = []  # structured arrays batch by batch is slow)
        while True:
            n = lib.trawl_frame_iter_next_batch(it, batch, chunk)
            if n:
                raw.append(ffi.buffer(batch, n * cdt.itemsize)[:])
            if n == chunk:
                continue
            step = lib.trawl_frame_iter_next(it, one, fault)
            if step == lib.TRAWL_FRAME_UNIT:
                raw.append(ffi.buffer(one, cdt.itemsize)[:])
            elif step == lib.TRAWL_FRAME_FAULT:
                if not resync:
                    raise fault_error(fault, units=_columns(np, raw, cdt, base))
                faults.append(_fault(fault))
            else:
                break
        out = _columns(np, raw, cdt, base)
        return (out, faults) if resync else out


UNIT_DTYPE_FIELDS = [("index", "<u8"), ("offset", "<u8"), ("length", "<u8"),
                     ("value_offset", "<u8"), ("value_length", "<u8"), ("type", "<u8"),
                     ("depth", "<u4"), ("container", "?"), ("terminated", "?")]


def _c_unit_dtype(np: Any) -> Any:
    """trawl_frame_unit's own layout, read in place from the C array."""
    off = {f: ffi.offsetof("trawl_frame_unit", f) for f in
           ("index", "offset", "data", "value", "type", "depth", "container", "terminated")}
    span_len = ffi.offsetof("trawl_span", "len")
    return np.dtype({
        "names": ["index", "offset", "data_ptr", "data_len", "value_ptr", "value_len", "type",
                  "depth", "container", "terminated"],
        "formats": ["<u8", "<u8", "<u8", "<u8", "<u8", "<u8", "<u8", "<u4", "?", "?"],
        "offsets": [off["index"], off["offset"], off["data"], off["data"] + span_len,
                    off["value"], off["value"] + span_len, off["type"], off["depth"],
                    off["container"], off["terminated"]],
        "itemsize": ffi.sizeof("trawl_frame_unit")})


def _columns(np: Any, raw: list[bytes], cdt: Any, base: int) -> Any:
    """The public unit array from the C records in raw."""
    c = np.frombuffer(b"".join(raw), dtype=cdt)
    out = np.empty(len(c), dtype=np.dtype(UNIT_DTYPE_FIELDS, align=True))
    out["index"] = c["index"]
    out["offset"] = c["offset"]
    out["length"] = c["data_len"]
    out["value_offset"] = c["value_ptr"] - np.uint64(base)
    out["value_length"] = c["value_len"]
    out["type"] = c["type"]
    out["depth"] = c["depth"]
    out["container"] = c["container"]
    out["terminated"] = c["terminated"]
    return out


_UNIT_FIELDS = ("index", "offset", "data_ptr", "data_len", "value_ptr", "value_len", "type",
                "depth", "container", "terminated")


def _unit_struct(names: Iterable[str] = _UNIT_FIELDS) -> struct.Struct:
    """A struct format reading the named fields of trawl_frame_unit (of
    _UNIT_FIELDS, in its order; the others are skipped as padding) from
    cffi's layout, checked against it: struct's C loop then reads a batch
    of units as tuples, not field by field through cffi."""
    names = set(names)
    fields = [("index", "Q", "index"), ("offset", "Q", "offset"), ("data_ptr", "Q", "data"),
              ("data_len", "Q", "data"), ("value_ptr", "Q", "value"),
              ("value_len", "Q", "value"), ("type", "Q", "type"), ("depth", "I", "depth"),
              ("container", "?", "container"), ("terminated", "?", "terminated")]
    span_len = ffi.offsetof("trawl_span", "len")
    fmt, at = "=", 0
    for name, code, member in fields:
        off = ffi.offsetof("trawl_frame_unit", member) + (span_len if name.endswith("_len") else 0)
        if name not in names:
            continue
        fmt += "%dx" % (off - at) if off > at else ""
        fmt += code
        at = off + struct.calcsize("=" + code)
    size = ffi.sizeof("trawl_frame_unit")
    fmt += "%dx" % (size - at) if size > at else ""
    st = struct.Struct(fmt)
    assert st.size == size and ffi.sizeof("size_t") == 8 and ffi.sizeof("void *") == 8
    return st


_UNIT = _unit_struct()


def _unit_copy(u: Any) -> Unit:
    data = ffi.buffer(u.data.ptr, u.data.len)[:]
    # an empty value still has a place (where it would begin), as in
    # units() and parse()
    rel = u.value.ptr - u.data.ptr if u.value.ptr != ffi.NULL else 0
    return Unit(u.index, u.offset, u.data.len, u.offset + rel, u.value.len, u.type, u.depth,
                u.container, u.terminated, data, u.offset)


def _new(ctor: Any, *args: Any) -> Any:
    out = ffi.new("trawl_framer **")
    err = _lib.new_error()
    _lib.check(ctor(*args, out, err), err)
    return ffi.gc(out[0], lib.trawl_framer_free)


class TLV(Framer):
    """Type-length-value records. ``type_size``/``length_size``: 1, 2 or
    4 bytes; ``little_endian`` (default big endian);
    ``length_includes_header``; ``ber`` (BER/DER definite lengths),
    ``ber_constructed`` (types with bit 0x20 are containers);
    ``containers`` (types whose value holds nested records; children follow
    their container in pre-order with depth + 1); ``max_depth`` (0 = 32);
    ``max_record`` (a longer value is the fault record-too-large; 0 = no
    limit)."""

    def __init__(self, *, type_size: int = 1, length_size: int = 1, little_endian: bool = False,
                 length_includes_header: bool = False, ber: bool = False,
                 ber_constructed: bool = False, containers: Iterable[int] = (),
                 max_depth: int = 0, max_record: int = 0) -> None:
        o = ffi.new("trawl_frame_tlv_opts *")
        o.type_size = type_size
        o.length_size = length_size
        o.little_endian = little_endian
        o.length_includes_header = length_includes_header
        o.ber = ber
        o.ber_constructed = ber_constructed
        cont = sorted(set(containers))
        arr = ffi.new("uint64_t[]", cont) if cont else ffi.NULL
        o.containers = arr
        o.n_containers = len(cont)
        o.max_depth = max_depth
        o.max_record = max_record
        self._ptr = _new(lib.trawl_frame_tlv_new, o)


class Records(Framer):
    """Fixed-size records of ``size`` bytes. A partial record at the end
    is the fault short-tail, never dropped silently."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ptr = _new(lib.trawl_frame_records_new, size)


class Packets(Framer):
    """Length-prefixed packets. ``header``: the header's struct format
    (``">H"``, ``">HH"``, ``"<IHH"``; see :class:`~trawl.Struct`);
    ``length_field``: which of its values is the length;
    ``length_includes_header``; ``adjust`` (added to the length);
    ``max_size`` (a bigger packet is the fault packet-too-large; 0 = none).
    ``header_struct`` reads the header's fields: ``header_struct.unpack(u.data)``."""

    def __init__(self, header: str = ">H", length_field: int = 0, *,
                 length_includes_header: bool = False, adjust: int = 0,
                 max_size: int = 0) -> None:
        o = ffi.new("trawl_frame_packet_opts *")
        fmt = ffi.new("char[]", header.encode())
        o.header = fmt
        o.length_field = length_field
        o.length_includes_header = length_includes_header
        o.adjust = adjust
        o.max_size = max_size
        self._ptr = _new(lib.trawl_frame_packets_new, o)
        self.header_struct = Struct(header)


class Delimited(Framer):
    """Messages ended by ``delimiter`` (1 to 64 bytes, default newline);
    the delimiter is part of ``data`` but not ``value``; two delimiters in a
    row give an empty message; a last message without one has
    ``terminated`` False. ``max_size``: a longer message is the fault
    record-too-large (0 = none)."""

    def __init__(self, delimiter: bytes = b"\n", *, max_size: int = 0) -> None:
        o = ffi.new("trawl_frame_delim_opts *")
        d = ffi.new("uint8_t[]", bytes(delimiter)) if delimiter else ffi.NULL
        o.delimiter = d
        o.delimiter_len = len(delimiter)
        o.max_size = max_size
        self._ptr = _new(lib.trawl_frame_delim_new, o)


Lines = Delimited


def tlv(data: Any, **kw: Any) -> Iterator[Union[Unit, Fault]]:
    """``TLV(**kw).units(data)``; ``resync`` is passed to units()."""
    resync = kw.pop("resync", False)
    return TLV(**kw).units(data, resync=resync)


def records(data: Any, size: int, *, resync: bool = False) -> Iterator[Union[Unit, Fault]]:
    return Records(size).units(data, resync=resync)


def packets(data: Any, header: str = ">H", length_field: int = 0,
            **kw: Any) -> Iterator[Union[Unit, Fault]]:
    resync = kw.pop("resync", False)
    return Packets(header, length_field, **kw).units(data, resync=resync)


def lines(data: Any, delimiter: bytes = b"\n", *, max_size: int = 0,
          resync: bool = False) -> Iterator[Union[Unit, Fault]]:
    return Delimited(delimiter, max_size=max_size).units(data, resync=resync)


# ---- pcap ------------------------------------------------------------------


class L4(NamedTuple):
    """A frame's transport payload (no IP or TCP reassembly)."""

    ip_version: int
    proto: int
    src_port: int
    dst_port: int
    has_payload: bool
    truncated: bool
    payload_offset: int
    payload: bytes


class Packet(NamedTuple):
    """One captured packet: ``index`` (Wireshark's frame number - 1),
    ``offset`` (file offset of the record), ``ts_sec``/``ts_nsec``,
    ``caplen``/``len`` (captured / on the wire), ``data``, ``l4``."""

    index: int
    offset: int
    ts_sec: int
    ts_nsec: int
    caplen: int
    len: int
    data: bytes
    l4: Optional[L4]

    @property
    def ts(self) -> float:
        return self.ts_sec + self.ts_nsec / 1e9


def _l4(c: Any, frame: bytes) -> Optional[L4]:
    if not c.ip_version:
        return None
    po = int(c.payload_offset)
    return L4(c.ip_version, c.proto, c.src_port, c.dst_port, bool(c.has_payload),
              bool(c.truncated), po, frame[po:po + c.payload.len] if c.has_payload else b"")


def l4_decode(linktype: int, frame: Any) -> Optional[L4]:
    """The IP/TCP/UDP view of one frame of a libpcap link type (1 =
    Ethernet, 113 = Linux cooked, 0 = BSD null, 101 = raw IP), or None when
    it is not IP."""
    buf = _lib.from_buffer(frame)
    out = ffi.new("trawl_frame_l4 *")
    lib.trawl_frame_l4_decode(linktype, buf, len(buf), out)
    return _l4(out, bytes(buf))


class Capture:
    """A pcap or pcapng capture read through libpcap: iterate for
    :class:`Packet` records. ``linktype`` is the DLT_ link type. A damaged
    record raises :class:`~trawl.FrameError` after every packet before it
    (libpcap cannot resync). Use as a context manager or call close()."""

    def __init__(self, source: Any) -> None:
        out = ffi.new("trawl_frame_pcap **")
        err = _lib.new_error()
        if isinstance(source, (str, bytes, os.PathLike)):
            st = lib.trawl_frame_pcap_open_path(os.fsencode(source), out, err)
        else:
            fp = _lib.libc.fdopen(os.dup(source.fileno() if hasattr(source, "fileno")
                                         else source), b"rb")
            if fp == ffi.NULL:
                raise OSError(ffi.errno, os.strerror(ffi.errno))
            st = lib.trawl_frame_pcap_open(fp, out, err)
        _lib.check(st, err)
        self._ptr = ffi.gc(out[0], lib.trawl_frame_pcap_free)
        self.linktype = int(lib.trawl_frame_pcap_linktype(self._ptr))

    def __iter__(self) -> Iterator[Packet]:
        pkt = ffi.new("trawl_frame_packet *")
        fault = ffi.new("trawl_frame_fault *")
        while self._ptr is not None:
            step = lib.trawl_frame_pcap_next(self._ptr, pkt, fault)
            if step == lib.TRAWL_FRAME_UNIT:
                data = ffi.buffer(pkt.data.ptr, pkt.data.len)[:]
                yield Packet(int(pkt.index), int(pkt.offset), int(pkt.ts_sec),
                             int(pkt.ts_nsec), int(pkt.caplen), int(pkt.len), data,
                             _l4(pkt.l4, data))
            elif step == lib.TRAWL_FRAME_FAULT:
                raise fault_error(fault,
                                  extra=ffi.string(lib.trawl_frame_pcap_message(self._ptr))
                                  .decode("utf-8", "replace"))
            else:
                return

    def close(self) -> None:
        if self._ptr is not None:
            ffi.release(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Capture":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def pcap(source: Any) -> Iterator[Packet]:
    """Iterates over the packets of a capture file (path or file object)."""
    with Capture(source) as cap:
        yield from cap
