from typing import Any, Iterable, Optional, Sequence, Union

DETECTORS: list[str]
Input = Union[dict[str, Any], str, bytes]

class Engine:
    enabled: list[str]
    def __init__(self, config: Union[str, bytes] = ...) -> None: ...
    def detect(self, obj: Input, *,
               only: Optional[Union[str, Iterable[str]]] = ...) -> dict[str, Any]: ...
    def detect_batch(self, objs: Sequence[Input], *,
                     only: Optional[Union[str, Iterable[str]]] = ...) -> list[dict[str, Any]]: ...

def detect(obj: Input, *, only: Optional[Union[str, Iterable[str]]] = ...) -> dict[str, Any]: ...
