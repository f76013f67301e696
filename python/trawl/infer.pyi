import os
from typing import Any, NamedTuple, Optional, Sequence, Union

KINDS: tuple[str, ...]
FIELD_KINDS: tuple[str, ...]

class Crc(NamedTuple):
    width: int
    poly: int
    init: int = ...
    refin: bool = ...
    refout: bool = ...
    xorout: int = ...
    def compute(self, data: Any) -> int: ...

class Checksum:
    kind: str
    width: int
    crc: Optional[Crc]
    def __init__(self, algo: Any) -> None: ...
    def compute(self, data: Any) -> int: ...
    def describe(self) -> str: ...

def recover(samples: Sequence[tuple[Any, int]], width: int,
            kinds: Optional[Sequence[str]] = ...) -> Optional[Checksum]: ...

class Place(NamedTuple):
    offset: int
    size: int
    big_endian: bool
    from_: int
    to: int

def locate(msgs: Sequence[Any], *, sizes: Sequence[int] = ..., kinds: Optional[Sequence[str]] = ...,
           max_skip: int = ..., where: str = ...) -> Optional[tuple[Place, Checksum]]: ...

class Message(NamedTuple):
    data: Any
    src_port: int = ...
    dst_port: int = ...
    flow: int = ...
    dir: int = ...
    ts: float = ...

class Field(NamedTuple):
    offset: int
    size: int
    kind: str
    big_endian: bool
    confidence: float
    n_values: int
    value: int
    checksum: Optional[tuple[Place, Checksum]]
    length_from: int
    length_adjust: int
    ts_unit: int

class MessageType(NamedTuple):
    id: int
    port: int
    key_offset: int
    key_value: int
    cluster: int
    messages: int
    min_len: int
    max_len: int
    big_endian: bool
    fields: list[Field]

class Inference:
    n: int
    frames: Optional[list[int]]
    types: list[MessageType]
    def __init__(self, ptr: Any, n: int, frames: Optional[list[int]] = ...) -> None: ...
    def type_of(self, i: int) -> int: ...
    def bounds(self, i: int) -> list[int]: ...

def infer(messages: Union[str, "os.PathLike[str]", Sequence[Any]], *, max_types: int = ...,
          types: bool = ..., checksums: bool = ..., max_prefix: int = ...) -> Inference: ...
def generate(seed: int, messages: int) -> tuple[bytes, str]: ...
