"""The struct-format language of packet headers (include/trawl/struct.h):
``<``/``>``/``!``/``=``/``@`` then items ``x b B h H i I q Q Ns``, counts
repeat (``3H``), never any alignment padding."""

from __future__ import annotations

from typing import Any

from . import _lib
from ._lib import ffi, lib


class Struct:
    """A compiled format: ``size`` (bytes), ``count`` (values), ``codes``,
    ``unpack(buffer, offset=0)``. Syntax errors raise
    :class:`~trawl.PatternSyntaxError` with ``column``."""

    def __init__(self, fmt: str) -> None:
        out = ffi.new("trawl_struct **")
        err = _lib.new_error()
        _lib.check(lib.trawl_struct_compile(fmt.encode(), out, err), err)
        self._ptr = ffi.gc(out[0], lib.trawl_struct_free)
        self.format = fmt
        self.size = int(lib.trawl_struct_size(self._ptr))
        self.count = int(lib.trawl_struct_count(self._ptr))
        self.codes = "".join(lib.trawl_struct_code(self._ptr, i).decode()
                             for i in range(self.count))
        self._vals = ffi.new("trawl_struct_value[]", max(self.count, 1))

    def unpack(self, buffer: Any, offset: int = 0) -> tuple[Any, ...]:
        """The values of the layout at ``offset``: ints, and bytes for
        ``s``. :class:`~trawl.TruncatedError` (``offset`` = the first missing
        byte) when the buffer is short."""
        buf = _lib.from_buffer(buffer)
        if offset < 0 or offset > len(buf):
            raise ValueError(f"offset {offset} outside the buffer of {len(buf)} bytes")
        err = _lib.new_error()
        vals = self._vals
        _lib.check(lib.trawl_struct_unpack(self._ptr, buf + offset, len(buf) - offset, vals,
                                           self.count, err), err)
        out = []
        for i in range(self.count):
            v = vals[i]
            c = v.code
            if c == b"s":
                out.append(ffi.buffer(v.v.s.ptr, v.v.s.len)[:])
            elif c in (b"b", b"h", b"i", b"q"):
                out.append(int(v.v.i))
            else:
                out.append(int(v.v.u))
        return tuple(out)

    def __repr__(self) -> str:
        return f"Struct({self.format!r}, size={self.size})"
