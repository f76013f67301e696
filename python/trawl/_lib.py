"""Loading libtrawl and turning its statuses into exceptions.

The declarations come from ``_trawl_cffi``, the out-of-line ABI-mode module
generated at build time (only cffi's backend is needed to import it). When
it is missing -- a source checkout run without building -- the same
declarations are parsed here, which needs the full cffi package.

The shared library is looked for, in order: the path in the environment
variable ``TRAWL_LIBRARY`` (nothing else is tried when it is set), a copy
installed inside the package (``pip install`` puts one there when it finds
the build tree), then ``libtrawl.so.0`` on the system's library path (after
``make install``).

cffi releases the GIL around every call into the library (it has done so
since cffi 0.3; tests/test_threads.py checks it), so scans in several
Python threads run in parallel. Callbacks into Python take it again.
"""

from __future__ import annotations

import os
from typing import Any, Optional

from . import errors

try:
    from _trawl_cffi import ffi  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - a checkout without the generated module
    import cffi

    from ._cdef import CDEF, LIBC_CDEF

    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.cdef(LIBC_CDEF)

EXPECTED_VERSION = "0.1"


def _load() -> tuple[Any, str]:
    env = os.environ.get("TRAWL_LIBRARY")
    if env:
        try:
            return ffi.dlopen(env), env
        except OSError as e:
            raise ImportError(f"trawl: TRAWL_LIBRARY={env} cannot be loaded: {e}") from None
    here = os.path.dirname(os.path.abspath(__file__))
    tried = []
    for cand in (os.path.join(here, "libtrawl.so.0"), "libtrawl.so.0"):
        if os.sep in cand and not os.path.exists(cand):
            tried.append(f"{cand}: absent")
            continue
        try:
            return ffi.dlopen(cand), cand
        except OSError as e:
            tried.append(f"{cand}: {e}")
    raise ImportError("trawl: libtrawl.so.0 not found (set TRAWL_LIBRARY to its path, "
                      "or run `make install`); tried " + "; ".join(tried))


lib, LIBRARY_PATH = _load()
libc = ffi.dlopen(None)

VERSION = ffi.string(lib.trawl_version()).decode()
if not VERSION.startswith(EXPECTED_VERSION + "."):
    raise ImportError(f"trawl: {LIBRARY_PATH} is version {VERSION}; this package needs "
                      f"{EXPECTED_VERSION}.x (its struct layouts may differ)")

NULL = ffi.NULL


def status_name(st: int) -> str:
    return ffi.string(lib.trawl_status_name(st)).decode()[len("TRAWL_"):]


def new_error() -> Any:
    err = ffi.new("trawl_error *")
    return err


def raise_error(st: int, err: Any = None, message: Optional[str] = None) -> None:
    """Raises the exception for status st, with err's detail."""
    name = status_name(st)
    cls = errors.BY_STATUS.get(name, errors.TrawlError)
    if err is not None and err.message[0] != b"\0":
        text = ffi.string(err.message).decode("utf-8", "replace")
    else:
        text = message or ffi.string(lib.trawl_status_message(st)).decode()
    kw: dict[str, Any] = {"status": name}
    if err is not None:
        kw["offset"] = err.offset if err.offset >= 0 else None
        kw["index"] = err.index if err.index >= 0 else None
        kw["line"] = err.line or None
        kw["column"] = err.column or None
    raise cls(text, **kw)


def check(st: int, err: Any = None) -> None:
    if st != lib.TRAWL_OK:
        raise_error(st, err)


def from_buffer(data: Any) -> Any:
    """A uint8_t[] view of any object with the buffer protocol (bytes,
    bytearray, memoryview, mmap, array, contiguous NumPy arrays): no copy.
    The view keeps data alive and must not outlive a resize of it."""
    if isinstance(data, str):
        raise TypeError("trawl scans bytes: encode the str first (e.g. s.encode())")
    try:
        return ffi.from_buffer("uint8_t[]", data)
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not {type(data).__name__!r}") from None


def spans(msgs: Any) -> tuple[Any, list[Any]]:
    """A trawl_span[] over a sequence of bytes-like messages (no copy), and
    the views that keep them alive while it is in use."""
    keep = [from_buffer(m) for m in msgs]
    arr = ffi.new("trawl_span[]", max(len(keep), 1))
    for i, b in enumerate(keep):
        arr[i].ptr = b
        arr[i].len = len(b)
    return arr, keep


def cstr(s: Any) -> bytes:
    if isinstance(s, str):
        return s.encode()
    return bytes(s)


def gc(ptr: Any, free: Any, *deps: Any) -> Any:
    """ffi.gc(ptr, free) that also keeps deps (the objects ptr points into:
    a stream's database, an iterator's framer) alive until ptr is freed, so
    that no finalization order -- interpreter shutdown included -- frees a
    database before its stream."""
    if not deps:
        return ffi.gc(ptr, free)
    return ffi.gc(ptr, lambda p, _keep=deps: free(p))
