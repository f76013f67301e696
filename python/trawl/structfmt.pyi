from typing import Any

class Struct:
    format: str
    size: int
    count: int
    codes: str
    def __init__(self, fmt: str) -> None: ...
    def unpack(self, buffer: Any, offset: int = ...) -> tuple[Any, ...]: ...
