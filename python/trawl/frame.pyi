import os
from typing import Any, BinaryIO, Iterable, Iterator, Literal, NamedTuple, Optional, Union, overload

import numpy as np
import numpy.typing as npt

from .errors import FrameError
from .structfmt import Struct

_Buffer = Any
_Source = Union[str, bytes, "os.PathLike[str]", int, BinaryIO, Any]

class Unit:
    index: int
    offset: int
    length: int
    value_offset: int
    value_length: int
    type: int
    depth: int
    container: bool
    terminated: bool
    def __init__(self, index: int, offset: int, length: int, value_offset: int,
                 value_length: int, type: int, depth: int, container: bool, terminated: bool,
                 src: Any, base: int = ...) -> None: ...
    @property
    def data(self) -> Union[memoryview, bytes]: ...
    @property
    def value(self) -> Union[memoryview, bytes]: ...

class Fault(NamedTuple):
    kind: str
    offset: int
    index: int
    skipped: int
    errno: int
    message: str

UNIT_DTYPE_FIELDS: list[tuple[str, str]]

def fault_error(f: Any, units: object = ..., extra: str = ...) -> FrameError: ...

class Framer:
    def units(self, data: _Buffer, *, resync: bool = ...) -> Iterator[Union[Unit, Fault]]: ...
    def parse(self, data: _Buffer, *, resync: bool = ...) -> list[Union[Unit, Fault]]: ...
    def read(self, source: _Source, *, window: int = ...,
             resync: bool = ...) -> Iterator[Union[Unit, Fault]]: ...
    @overload
    def arrays(self, data: _Buffer, *, resync: Literal[False] = ...) -> npt.NDArray[Any]: ...
    @overload
    def arrays(self, data: _Buffer, *,
               resync: Literal[True]) -> tuple[npt.NDArray[Any], list[Fault]]: ...

class TLV(Framer):
    def __init__(self, *, type_size: int = ..., length_size: int = ..., little_endian: bool = ...,
                 length_includes_header: bool = ..., ber: bool = ..., ber_constructed: bool = ...,
                 containers: Iterable[int] = ..., max_depth: int = ...,
                 max_record: int = ...) -> None: ...

class Records(Framer):
    size: int
    def __init__(self, size: int) -> None: ...

class Packets(Framer):
    header_struct: Struct
    def __init__(self, header: str = ..., length_field: int = ..., *,
                 length_includes_header: bool = ..., adjust: int = ...,
                 max_size: int = ...) -> None: ...

class Delimited(Framer):
    def __init__(self, delimiter: bytes = ..., *, max_size: int = ...) -> None: ...

Lines = Delimited

def tlv(data: _Buffer, **kw: Any) -> Iterator[Union[Unit, Fault]]: ...
def records(data: _Buffer, size: int, *, resync: bool = ...) -> Iterator[Union[Unit, Fault]]: ...
def packets(data: _Buffer, header: str = ..., length_field: int = ...,
            **kw: Any) -> Iterator[Union[Unit, Fault]]: ...
def lines(data: _Buffer, delimiter: bytes = ..., *, max_size: int = ...,
          resync: bool = ...) -> Iterator[Union[Unit, Fault]]: ...

class L4(NamedTuple):
    ip_version: int
    proto: int
    src_port: int
    dst_port: int
    has_payload: bool
    truncated: bool
    payload_offset: int
    payload: bytes

class Packet(NamedTuple):
    index: int
    offset: int
    ts_sec: int
    ts_nsec: int
    caplen: int
    len: int
    data: bytes
    l4: Optional[L4]
    @property
    def ts(self) -> float: ...

def l4_decode(linktype: int, frame: _Buffer) -> Optional[L4]: ...

class Capture:
    linktype: int
    def __init__(self, source: Union[str, bytes, "os.PathLike[str]", BinaryIO, int]) -> None: ...
    def __iter__(self) -> Iterator[Packet]: ...
    def close(self) -> None: ...
    def __enter__(self) -> Capture: ...
    def __exit__(self, *exc: Any) -> None: ...

def pcap(source: Union[str, bytes, "os.PathLike[str]", BinaryIO, int]) -> Iterator[Packet]: ...
