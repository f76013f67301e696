"""trawl: look through bytes fast -- binary patterns, fuzzy search,
framing, captures and threat detection, from Python.

A binding over libtrawl (cffi, ABI mode). Inputs are any bytes-like object
(bytes, bytearray, memoryview, mmap, contiguous NumPy arrays) and are never
copied; the GIL is released while the library works. ``trawl.analyze``
(entropy, n-grams, distances, clustering), ``trawl.infer`` (formats,
checksums) and ``trawl.anomaly`` (explained anomalies in series and
traffic) are submodules. docs/python.md has the guide;
``trawl.compat.oscura`` offers Oscura's function names.
"""

from . import analyze, anomaly, infer
from ._lib import LIBRARY_PATH, VERSION as LIBRARY_VERSION
from .detect import DETECTORS, Engine, detect
from .errors import (EngineError, FormatError, FrameError, InvalidArgumentError, LimitError,
                     PatternSyntaxError, StateError, StoppedError, TrawlError, TrawlIOError,
                     TrawlMemoryError, TruncatedError, TruncatedFrameError, UnsupportedError,
                     VersionError)
from .frame import (TLV, Capture, Delimited, Fault, L4, Lines, Packet, Packets, Records, Unit,
                    l4_decode, lines, packets, pcap, records, tlv)
from .fuzzy import Edit, FuzzyDatabase, FuzzyMatch, FuzzyStream, Pair, Spec, fuzzy_search, similar
from .fuzzy import compile as fuzzy_compile
from .pattern import (Database, Match, PatternInfo, Stream, compile, compile_rules, finditer,
                      scan)
from .structfmt import Struct

__version__ = "0.1.0"

__all__ = [
    "analyze", "anomaly", "infer", "LIBRARY_PATH", "LIBRARY_VERSION", "DETECTORS", "Engine", "detect", "EngineError",
    "FormatError", "FrameError", "InvalidArgumentError", "LimitError", "PatternSyntaxError",
    "StateError", "StoppedError", "TrawlError", "TrawlIOError", "TrawlMemoryError",
    "TruncatedError", "TruncatedFrameError", "UnsupportedError", "VersionError", "TLV",
    "Capture", "Delimited", "Fault", "L4", "Lines", "Packet", "Packets", "Records", "Unit",
    "l4_decode", "lines", "packets", "pcap", "records", "tlv", "Edit", "FuzzyDatabase",
    "FuzzyMatch", "FuzzyStream", "Pair", "Spec", "fuzzy_search", "similar", "fuzzy_compile",
    "Database", "Match", "PatternInfo", "Stream", "compile", "compile_rules", "finditer", "scan",
    "Struct",
]
