from typing import Any, NamedTuple, Optional, Union

KINDS: tuple[str, ...]
ENDIAN: tuple[str, ...]

class ArchInfo(NamedTuple):
    name: str
    description: str
    endian: str
    word_bits: int

class Window(NamedTuple):
    offset: int
    length: int
    arch: Optional[str]
    kind: str
    bits: float
    runner_up: str
    runner_bits: float
    entropy: float

class Region(NamedTuple):
    offset: int
    length: int
    arch: Optional[str]
    kind: str
    windows: int

class ArchReport(NamedTuple):
    arch: Optional[str]
    info: Optional[ArchInfo]
    share: float
    windows: int
    code_windows: int
    votes: dict[str, int]
    kinds: dict[str, int]
    mean_bits: float
    regions: list[Region]

class ArchModel:
    archs: list[ArchInfo]
    def __init__(self, data: Any = ...) -> None: ...
    @classmethod
    def builtin(cls) -> ArchModel: ...
    def find(self, name: str) -> int: ...
    def windows(self, data: Any, *, window: int = ..., step: int = ...) -> list[Window]: ...
    def window_array(self, data: Any, *, window: int = ..., step: int = ...) -> Any: ...
    def identify(self, data: Any, *, window: int = ..., step: int = ...) -> ArchReport: ...

def identify(data: Any, *, window: int = ..., step: int = ...,
             model: Optional[ArchModel] = ...) -> ArchReport: ...
def windows(data: Any, *, window: int = ..., step: int = ...,
            model: Optional[ArchModel] = ...) -> list[Window]: ...

class Vectors(NamedTuple):
    offset: int
    initial_sp: int
    reset: int
    entries: int
    handlers: int
    distinct: int

class Access(NamedTuple):
    address: int
    access: str
    count: int
    first: int
    peripheral: Optional[str]
    bitband_bit: Optional[int]
    @property
    def read(self) -> bool: ...
    @property
    def write(self) -> bool: ...
    @property
    def ref(self) -> bool: ...

class Peripheral(NamedTuple):
    name: str
    family: str
    base: int
    reads: int
    writes: int
    refs: int
    registers: int
    first: int

class CortexM(NamedTuple):
    vectors: Optional[Vectors]
    base: int
    base_how: str
    base_votes: int
    family: Optional[str]
    family_source: Optional[str]
    family_ambiguous: bool
    scores: dict[str, tuple[int, int]]
    instructions: int
    code_bytes: int
    peripherals: list[Peripheral]
    accesses: list[Access]

def cortexm(data: Any, *, base: Optional[int] = ..., family: Optional[str] = ...,
            model: Optional[ArchModel] = ...) -> CortexM: ...
def families() -> list[tuple[str, str]]: ...

class SdkRule(NamedTuple):
    sdk: str
    rule: str
    weight: int

class Evidence(NamedTuple):
    sdk: str
    rule: str
    weight: int
    offset: int
    length: int
    matches: int
    data: Any

class Sdk(NamedTuple):
    name: str
    weight: int
    rules: int

class SdkReport(NamedTuple):
    sdks: list[Sdk]
    evidence: list[Evidence]

class SdkScanner:
    rules: list[SdkRule]
    def __init__(self, rules: Union[None, str, bytes] = ...) -> None: ...
    @classmethod
    def builtin(cls) -> SdkScanner: ...
    def scan(self, data: Any) -> SdkReport: ...

def sdk(data: Any, *, rules: Union[None, str, bytes, SdkScanner] = ...) -> SdkReport: ...

class Firmware(NamedTuple):
    arch: ArchReport
    cortexm: Optional[CortexM]
    sdk: SdkReport

def analyze(data: Any, *, window: int = ..., step: int = ..., base: Optional[int] = ...,
            family: Optional[str] = ..., model: Optional[ArchModel] = ...,
            rules: Union[None, str, bytes, SdkScanner] = ...) -> Firmware: ...
