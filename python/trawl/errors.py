"""Exceptions raised by trawl.

Every failure of the C library becomes a :class:`TrawlError` subclass chosen
by the library's status code. The exception carries what the library said
and where: ``status`` (the code's name, e.g. ``"ESYNTAX"``), ``message``,
``offset`` (byte offset in the input), ``index`` (pattern or record index),
``line`` and ``column`` (1-based, in a pattern or rule file); fields that do
not apply are ``None``. Each subclass also derives from the closest builtin
exception (``ValueError``, ``MemoryError``, ``OSError``, ``RuntimeError``),
so code written against plain Python exceptions keeps working.
"""

from __future__ import annotations

from typing import Optional


class TrawlError(Exception):
    """A trawl library call failed."""

    status: str = "EINVAL"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[str] = None,
        offset: Optional[int] = None,
        index: Optional[int] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.offset = offset
        self.index = index
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.index is not None:
            where.append(f"index {self.index}")
        if self.line:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        if self.offset is not None:
            where.append(f"byte offset {self.offset}")
        tail = f" ({', '.join(where)})" if where else ""
        return f"{self.message}{tail} [{self.status}]"


class TrawlMemoryError(TrawlError, MemoryError):
    status = "ENOMEM"


class InvalidArgumentError(TrawlError, ValueError):
    status = "EINVAL"


class PatternSyntaxError(TrawlError, ValueError):
    """A pattern, rule file or format string does not parse; ``column``
    (and for rule files ``line``) say where."""

    status = "ESYNTAX"


class UnsupportedError(TrawlError, ValueError):
    status = "EUNSUPPORTED"


class LimitError(TrawlError, ValueError):
    status = "ELIMIT"


class TrawlIOError(TrawlError, OSError):
    status = "EIO"


class FormatError(TrawlError, ValueError):
    """Malformed input data; ``offset`` names the byte."""

    status = "EFORMAT"


class VersionError(TrawlError, ValueError):
    status = "EVERSION"


class EngineError(TrawlError, RuntimeError):
    status = "EENGINE"


class TruncatedError(FormatError):
    status = "ETRUNCATED"


class StoppedError(TrawlError, RuntimeError):
    status = "ESTOPPED"


class StateError(TrawlError, RuntimeError):
    status = "ESTATE"


class FrameError(FormatError):
    """Framing met a malformed unit. ``kind`` is the fault's name
    (``"truncated-value"``, ``"short-tail"``, ...), ``offset`` where the
    malformed unit starts, ``index`` the unit number it would have had,
    ``skipped`` the bytes passed over (resync mode). Every complete unit
    before the fault was delivered first; ``units`` holds them when the
    call returns a whole list (``parse``/``arrays``), else ``None``."""

    def __init__(self, message: str, *, kind: str, status: str, offset: int, index: int,
                 skipped: int = 0, units: object = None) -> None:
        super().__init__(message, status=status, offset=offset, index=index)
        self.kind = kind
        self.skipped = skipped
        self.units = units


class TruncatedFrameError(FrameError, TruncatedError):
    """A frame fault of a truncated kind (``truncated-header``,
    ``truncated-value``, ``short-tail``)."""


BY_STATUS = {
    cls.status: cls
    for cls in (TrawlMemoryError, InvalidArgumentError, PatternSyntaxError, UnsupportedError,
                LimitError, TrawlIOError, FormatError, VersionError, EngineError,
                TruncatedError, StoppedError, StateError)
}

__all__ = [
    "TrawlError", "TrawlMemoryError", "InvalidArgumentError", "PatternSyntaxError",
    "UnsupportedError", "LimitError", "TrawlIOError", "FormatError", "VersionError",
    "EngineError", "TruncatedError", "StoppedError", "StateError", "FrameError",
    "TruncatedFrameError",
]
