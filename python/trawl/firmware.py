"""What a raw firmware image is (include/trawl/firmware.h, docs/firmware.md):
the architecture of its code per window, for ARM Cortex-M images the
vector table, the load address and the peripherals the code programs, and
the SDKs, frameworks and RTOSes it was built with.

    >>> import trawl.firmware as tf
    >>> img = open("stm32f4_uart.bin", "rb").read()
    >>> tf.identify(img).arch
    'arm-thumb'
    >>> r = tf.cortexm(img)
    >>> hex(r.base), r.family, [p.name for p in r.peripherals]
    ('0x8000000', 'stm32f4', ['USART2', 'GPIOA', 'RCC', 'SysTick'])
    >>> tf.sdk(img).sdks
    []

Images are any bytes-like object and are not copied; the GIL is released
while the library works. The built-in architecture model and SDK rules are
loaded once and shared (both are immutable, so threads may share them).
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple, Optional, Union

from . import _lib
from ._lib import ffi, lib

KINDS = tuple(ffi.string(lib.trawl_fw_kind_name(i)).decode() for i in range(5))
ENDIAN = ("none", "little", "big")


class ArchInfo(NamedTuple):
    """An architecture the model knows: ``name`` ("arm-thumb"),
    ``description``, ``endian`` ("little", "big", "none") and
    ``word_bits``."""

    name: str
    description: str
    endian: str
    word_bits: int


class Window(NamedTuple):
    """One scored window: ``arch`` is the architecture's name, or None when
    no model explains the window (``kind`` then says what it looks like:
    fill, text, random, data); ``bits`` is the cross-entropy under the best
    model and ``runner_bits`` under ``runner_up`` (bits per byte);
    ``entropy`` the window's zero-order entropy."""

    offset: int
    length: int
    arch: Optional[str]
    kind: str
    bits: float
    runner_up: str
    runner_bits: float
    entropy: float


class Region(NamedTuple):
    """A run of adjacent windows given the same answer."""

    offset: int
    length: int
    arch: Optional[str]
    kind: str
    windows: int


class ArchReport(NamedTuple):
    """The image's architecture (``arch`` None when no window is code),
    its share of the code windows, the votes per architecture, windows
    per kind, the mean cross-entropy of the winning windows and the
    regions in offset order."""

    arch: Optional[str]
    info: Optional[ArchInfo]
    share: float
    windows: int
    code_windows: int
    votes: dict[str, int]
    kinds: dict[str, int]
    mean_bits: float
    regions: list[Region]


def _str(p: Any) -> Optional[str]:
    return ffi.string(p).decode("utf-8", "replace") if p != ffi.NULL else None


def _shared(cls: Any) -> Any:
    """cls() made once, under the class's lock (the built-in model and
    rules: immutable, so every thread shares them)."""
    with cls._lock:
        if cls._builtin is None:
            cls._builtin = cls()
        return cls._builtin


def _err() -> Any:
    return _lib.new_error()


def _opts(window: int, step: int) -> Any:
    o = ffi.new("trawl_fw_arch_opts *")
    o.window = window
    o.step = step
    return o


@ffi.callback("trawl_fw_window_fn", onerror=lambda *a: 1)
def _on_window(w: Any, ud: Any) -> int:
    out = ffi.from_handle(ud)
    out.append((int(w.offset), int(w.length), int(w.arch), int(w.kind), w.bits,
                int(w.runner_up), w.runner_bits, w.entropy))
    return 0


class ArchModel:
    """An architecture model: :meth:`builtin` (the one compiled into the
    library: ten architectures, docs/firmware.md) or a model file's bytes
    (untrusted: every size is checked; errors carry the offset).
    Immutable; threads may share it."""

    _builtin: Optional["ArchModel"] = None
    _lock = threading.Lock()

    def __init__(self, data: Any = None) -> None:
        out = ffi.new("trawl_fw_model **")
        err = _err()
        if data is None:
            st = lib.trawl_fw_model_builtin(out, err)
        else:
            b = _lib.from_buffer(data)
            st = lib.trawl_fw_model_load(b, len(b), out, err)
        _lib.check(st, err)
        self._ptr = ffi.gc(out[0], lib.trawl_fw_model_free)
        info = ffi.new("trawl_fw_arch_info *")
        self.archs: list[ArchInfo] = []
        for i in range(lib.trawl_fw_model_arch_count(self._ptr)):
            lib.trawl_fw_model_arch(self._ptr, i, info)
            self.archs.append(ArchInfo(_str(info.name) or "", _str(info.description) or "",
                                       ENDIAN[info.endian], int(info.word_bits)))

    @classmethod
    def builtin(cls) -> "ArchModel":
        """The built-in model, loaded once (about 1 MiB of tables)."""
        return _shared(cls)

    def find(self, name: str) -> int:
        """The index of the architecture called name, or -1."""
        return int(lib.trawl_fw_model_arch_find(self._ptr, name.encode()))

    def _name(self, i: int) -> Optional[str]:
        return self.archs[i].name if 0 <= i < len(self.archs) else None

    def _raw_windows(self, data: Any, window: int, step: int) -> list[tuple]:
        b = _lib.from_buffer(data)
        got: list[tuple] = []
        err = _err()
        st = lib.trawl_fw_arch_scan(self._ptr, b, len(b), _opts(window, step), _on_window,
                                    ffi.new_handle(got), err)
        _lib.check(st, err)
        return got

    def windows(self, data: Any, *, window: int = 0, step: int = 0) -> list[Window]:
        """Every window of the image, in offset order. ``window``: bytes per
        window (0 = 4096, at least 256); ``step``: bytes between window
        starts (0 = the window; it must divide the window)."""
        return [Window(off, ln, self._name(a), KINDS[k], bits, self._name(ru) or "unknown",
                       rbits, ent)
                for off, ln, a, k, bits, ru, rbits, ent in self._raw_windows(data, window, step)]

    def window_array(self, data: Any, *, window: int = 0, step: int = 0) -> Any:
        """The windows as a NumPy structured array (``offset``, ``length``,
        ``arch`` (index into :attr:`archs`, -1 when Unknown), ``kind``
        (index into :data:`KINDS`), ``bits``, ``runner_up``,
        ``runner_bits``, ``entropy``)."""
        import numpy as np
        dt = np.dtype([("offset", "u8"), ("length", "u4"), ("arch", "i4"), ("kind", "u1"),
                       ("bits", "f8"), ("runner_up", "i4"), ("runner_bits", "f8"),
                       ("entropy", "f8")])
        return np.array(self._raw_windows(data, window, step), dtype=dt)

    def identify(self, data: Any, *, window: int = 0, step: int = 0) -> ArchReport:
        """Scans the image and sums the windows up: the answer, the votes
        and the regions."""
        b = _lib.from_buffer(data)
        out = ffi.new("trawl_fw_arch_report **")
        err = _err()
        _lib.check(lib.trawl_fw_arch_identify(self._ptr, b, len(b), _opts(window, step), out, err),
                   err)
        r = out[0]
        try:
            regions = [Region(int(g.offset), int(g.length), self._name(g.arch), KINDS[g.kind],
                              int(g.windows)) for g in r.regions[0:r.n_regions]]
            votes = {self.archs[a].name: int(r.votes[a]) for a in range(len(self.archs))
                     if r.votes[a]}
            name = self._name(r.arch)
            return ArchReport(name, self.archs[r.arch] if name else None, r.share,
                              int(r.windows), int(r.code_windows), votes,
                              {KINDS[k]: int(r.kinds[k]) for k in range(5)}, r.mean_bits,
                              regions)
        finally:
            lib.trawl_fw_arch_report_free(r)


def identify(data: Any, *, window: int = 0, step: int = 0,
             model: Optional[ArchModel] = None) -> ArchReport:
    """:meth:`ArchModel.identify` with the built-in model (or ``model``)."""
    return (model or ArchModel.builtin()).identify(data, window=window, step=step)


def windows(data: Any, *, window: int = 0, step: int = 0,
            model: Optional[ArchModel] = None) -> list[Window]:
    """:meth:`ArchModel.windows` with the built-in model (or ``model``)."""
    return (model or ArchModel.builtin()).windows(data, window=window, step=step)


# ---- ARM Cortex-M --------------------------------------------------------


class Vectors(NamedTuple):
    """A Cortex-M vector table: its file ``offset``, the initial stack
    pointer, the reset vector (Thumb bit included), the number of
    ``entries``, of non-zero ``handlers`` and of ``distinct`` handler
    addresses."""

    offset: int
    initial_sp: int
    reset: int
    entries: int
    handlers: int
    distinct: int


class Access(NamedTuple):
    """A peripheral register the code uses: ``access`` is "R", "W", "A"
    (a reference: loaded, never dereferenced nearby) or a combination such
    as "RW" -- the CLI's "RW-" without the dashes; ``count`` instructions,
    the file offset of the ``first``; ``peripheral`` is the named block's
    name or None; ``bitband_bit`` the bit when reached through a bit-band
    alias, else None."""

    address: int
    access: str
    count: int
    first: int
    peripheral: Optional[str]
    bitband_bit: Optional[int]

    @property
    def read(self) -> bool:
        return "R" in self.access

    @property
    def write(self) -> bool:
        return "W" in self.access

    @property
    def ref(self) -> bool:
        return "A" in self.access


class Peripheral(NamedTuple):
    """A named peripheral block the code uses: ``family`` is "cortex-m"
    for the core blocks (NVIC, SCB, SysTick, ...), else the chosen
    family; instruction counts per kind, distinct ``registers``, the file
    offset of the ``first`` instruction."""

    name: str
    family: str
    base: int
    reads: int
    writes: int
    refs: int
    registers: int
    first: int


class CortexM(NamedTuple):
    """The Cortex-M analysis: ``vectors`` (None when no table is found),
    the load ``base`` and how it was found, the chosen ``family`` (None
    when no address the code uses is in a map) and where its map comes
    from, ``scores`` per family (named, unnamed distinct addresses),
    instructions decoded, and the peripherals and accesses."""

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


def _access_text(k: int) -> str:
    return ("R" if k & lib.TRAWL_FW_READ else "") + ("W" if k & lib.TRAWL_FW_WRITE else "") + \
        ("A" if k & lib.TRAWL_FW_REF else "")


_BUILTIN = object()


def cortexm(data: Any, *, base: Optional[int] = None, family: Optional[str] = None,
            model: Any = _BUILTIN) -> CortexM:
    """Analyses the image as Cortex-M code: vector table, load address,
    and the peripheral registers its instructions use (Capstone's Thumb
    decoding with register values followed; a word of the image is never
    read as an address by itself). ``base`` overrides the estimated load
    address, ``family`` the chosen map (see :func:`families`). Only the
    windows ``model`` (the built-in architecture model by default) calls
    arm-thumb are disassembled; ``model=None`` disassembles the whole
    image. Errors: InvalidArgumentError for an unknown family,
    EngineError when Capstone cannot start."""
    b = _lib.from_buffer(data)
    o = ffi.new("trawl_fw_cortexm_opts *")
    keep = []
    if base is not None:
        o.base_given = True
        o.base = base
    if family is not None:
        f = ffi.new("char[]", family.encode())
        keep.append(f)
        o.family = f
    if model is _BUILTIN:
        model = ArchModel.builtin()
    if model is not None:
        o.model = model._ptr
    out = ffi.new("trawl_fw_cortexm_report **")
    err = _err()
    _lib.check(lib.trawl_fw_cortexm_analyze(b, len(b), o, out, err), err)
    r = out[0]
    try:
        v = r.vectors
        vec = Vectors(int(v.offset), int(v.initial_sp), int(v.reset), int(v.entries),
                      int(v.handlers), int(v.distinct)) if v.found else None
        periphs = [Peripheral(_str(p.name) or "", _str(p.family) or "", int(p.base), int(p.reads),
                              int(p.writes), int(p.refs), int(p.registers), int(p.first))
                   for p in r.periphs[0:r.n_periphs]]
        accesses = [Access(int(a.address), _access_text(a.kinds), int(a.count), int(a.first),
                           periphs[a.periph].name if a.periph >= 0 else None,
                           int(a.bitband_bit) if a.bitband_bit >= 0 else None)
                    for a in r.accesses[0:r.n_accesses]]
        scores = {_str(s.name) or "": (int(s.named), int(s.unnamed))
                  for s in r.scores[0:r.n_scores]}
        return CortexM(vec, int(r.base), _str(r.base_how) or "", int(r.base_votes),
                       _str(r.family), _str(r.family_source), bool(r.family_ambiguous), scores,
                       int(r.instructions), int(r.code_bytes), periphs, accesses)
    finally:
        lib.trawl_fw_cortexm_report_free(r)


def families() -> list[tuple[str, str]]:
    """The families whose peripheral maps trawl has, with where each map
    comes from (vendor header and version)."""
    out, i = [], 0
    while True:
        p = lib.trawl_fw_family_name(i)
        if p == ffi.NULL:
            return out
        name = ffi.string(p)
        out.append((name.decode(), _str(lib.trawl_fw_family_source(name)) or ""))
        i += 1


# ---- SDKs, frameworks, RTOSes ----------------------------------------------


class SdkRule(NamedTuple):
    """A signature rule: the SDK it speaks for, its name and weight."""

    sdk: str
    rule: str
    weight: int


class Evidence(NamedTuple):
    """A rule that matched: where it first matched (``offset``,
    ``length``), how many times, and the first match's bytes
    (``data``, a memoryview into the image)."""

    sdk: str
    rule: str
    weight: int
    offset: int
    length: int
    matches: int
    data: Any


class Sdk(NamedTuple):
    """A reported SDK: the weight of its distinct matching rules (at least
    2) and how many rules matched."""

    name: str
    weight: int
    rules: int


class SdkReport(NamedTuple):
    """The SDKs reported, heaviest first (empty when nothing adds up: there
    is no default), and every rule that matched, reported SDK or not."""

    sdks: list[Sdk]
    evidence: list[Evidence]


class SdkScanner:
    """SDK signatures compiled once: the built-in rules
    (rules/firmware.rules) when ``rules`` is None, else a rule text in the
    same format (SDK.EVIDENCE.WEIGHT names; errors carry line and column).
    Immutable; threads may share it."""

    _builtin: Optional["SdkScanner"] = None
    _lock = threading.Lock()

    def __init__(self, rules: Union[None, str, bytes] = None) -> None:
        out = ffi.new("trawl_fw_sdk_scanner **")
        err = _err()
        if rules is None:
            st = lib.trawl_fw_sdk_scanner_new(ffi.NULL, 0, out, err)
        else:
            raw = rules.encode() if isinstance(rules, str) else bytes(rules)
            st = lib.trawl_fw_sdk_scanner_new(raw, len(raw), out, err)
        _lib.check(st, err)
        self._ptr = ffi.gc(out[0], lib.trawl_fw_sdk_scanner_free)
        ev = ffi.new("trawl_fw_evidence *")
        self.rules: list[SdkRule] = []
        while lib.trawl_fw_sdk_rule(self._ptr, len(self.rules), ev):
            self.rules.append(SdkRule(_str(ev.sdk) or "", _str(ev.rule) or "", int(ev.weight)))

    @classmethod
    def builtin(cls) -> "SdkScanner":
        """The built-in rules, compiled once."""
        return _shared(cls)

    def scan(self, data: Any) -> SdkReport:
        """Scans the image once (O(len))."""
        b = _lib.from_buffer(data)
        view = memoryview(data).cast("B") if len(b) else memoryview(b"")
        out = ffi.new("trawl_fw_sdk_report **")
        err = _err()
        _lib.check(lib.trawl_fw_sdk_scan(self._ptr, b, len(b), out, err), err)
        r = out[0]
        try:
            sdks = [Sdk(_str(s.name) or "", int(s.weight), int(s.rules))
                    for s in r.sdks[0:r.n_sdks]]
            ev = [Evidence(_str(e.sdk) or "", _str(e.rule) or "", int(e.weight), int(e.offset),
                           int(e.length), int(e.matches),
                           view[int(e.offset):int(e.offset) + int(e.length)])
                  for e in r.evidence[0:r.n_evidence]]
            return SdkReport(sdks, ev)
        finally:
            lib.trawl_fw_sdk_report_free(r)


def sdk(data: Any, *, rules: Union[None, str, bytes, SdkScanner] = None) -> SdkReport:
    """:meth:`SdkScanner.scan` with the built-in rules (or ``rules``: a
    scanner or a rule text)."""
    if isinstance(rules, SdkScanner):
        return rules.scan(data)
    return (SdkScanner.builtin() if rules is None else SdkScanner(rules)).scan(data)


class Firmware(NamedTuple):
    """What `trawl firmware` reports with no action: the architecture, the
    Cortex-M analysis (None unless the code is arm-thumb, or the
    architecture is Unknown and a vector table is found), the SDKs."""

    arch: ArchReport
    cortexm: Optional[CortexM]
    sdk: SdkReport


def analyze(data: Any, *, window: int = 0, step: int = 0, base: Optional[int] = None,
            family: Optional[str] = None, model: Optional[ArchModel] = None,
            rules: Union[None, str, bytes, SdkScanner] = None) -> Firmware:
    """All three analyses, as the CLI runs them."""
    m = model or ArchModel.builtin()
    a = m.identify(data, window=window, step=step)
    cm: Optional[CortexM] = None
    if a.arch == "arm-thumb" or a.arch is None:
        cm = cortexm(data, base=base, family=family, model=m)
        if a.arch is None and cm.vectors is None:
            cm = None
    return Firmware(a, cm, sdk(data, rules=rules))
