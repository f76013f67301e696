"""The rest of Oscura's stream, parser and clustering helpers
(oscura.analyzers.packet.stream / .parser, oscura.analyzers.patterns
.clustering / .clustering_optimized, v0.9.0): the generic iterator helpers,
the named-field PacketParser, PatternClusterer and cluster_messages, and
FuzzyMatcher.match_with_wildcards' window search. Differences are listed in
docs/python-oscura-differences.md (rows 61-65)."""

from __future__ import annotations

import itertools
import os
import struct as _pystruct
from typing import Any, Callable, Iterable, Iterator, Optional, TypeVar, Union

T = TypeVar("T")


# ---- packet/stream.py: iterator helpers ------------------------------------------


def stream_file(file_path: Union[str, "os.PathLike[str]"],
                chunk_size: int = 65536) -> Iterator[bytes]:
    """The file's bytes in chunks of ``chunk_size`` (the last may be
    shorter)."""
    if chunk_size <= 0:
        raise ValueError(f"chunk_size must be positive, got {chunk_size}")
    with open(file_path, "rb") as f:
        yield from iter(lambda: f.read(chunk_size), b"")


def pipeline(source: Iterable[T], *transforms: Callable[[Iterator[T]], Iterator[T]]
             ) -> Iterator[T]:
    """source passed through each transform (a function from an iterator
    to an iterator) in turn."""
    it: Iterator[T] = iter(source)
    for t in transforms:
        it = t(it)
    yield from it


def batch(source: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of ``size`` items (the last may be shorter)."""
    if size <= 0:
        raise ValueError(f"size must be positive, got {size}")
    it = iter(source)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def take(source: Iterable[T], n: int) -> Iterator[T]:
    """The first n items (the source is not read past them)."""
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return itertools.islice(source, n)


def skip(source: Iterable[T], n: int) -> Iterator[T]:
    """The items after the first n."""
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return itertools.islice(source, n, None)


# ---- packet/parser.py: PacketParser ------------------------------------------------


class PacketParser:
    """Named fixed-size fields: ``fields`` is a list of (name, struct
    format) pairs, each giving exactly one value (ValueError otherwise:
    Oscura pairs names and values positionally, so "2H" shifts every later
    name); ``byte_order`` is struct's prefix (">", "<", "=", "!", "@")."""

    def __init__(self, fields: list[tuple[str, str]], byte_order: str = ">") -> None:
        if byte_order not in (">", "<", "=", "!", "@"):
            raise ValueError(f"byte_order must be one of > < = ! @, not {byte_order!r}")
        for name, fmt in fields:
            n = len(_pystruct.unpack(byte_order + fmt, bytes(_pystruct.calcsize(byte_order + fmt))))
            if n != 1:
                raise ValueError(f"field {name!r}: format {fmt!r} gives {n} values, not one")
        self._names = [f[0] for f in fields]
        if len(set(self._names)) != len(self._names):
            raise ValueError("field names must be distinct")
        self._struct = _pystruct.Struct(byte_order + "".join(f[1] for f in fields))

    @property
    def size(self) -> int:
        """Bytes the fields take."""
        return self._struct.size

    def parse(self, buffer: Any, offset: int = 0) -> dict[str, Any]:
        """The fields at ``offset`` as a dict (struct.error when the buffer
        is too short)."""
        return dict(zip(self._names, self._struct.unpack_from(buffer, offset)))

    def pack(self, **fields: Any) -> bytes:
        """The fields as bytes (KeyError for a missing one)."""
        return self._struct.pack(*(fields[n] for n in self._names))


# ---- clustering ---------------------------------------------------------------------


def cluster_messages(data: Any, n_clusters: int = 3, method: str = "kmeans",
                     random_state: Optional[int] = None) -> Any:
    """k-means labels of the rows of data (trawl.analyze.kmeans:
    k-means++ seeding, Lloyd's iteration), in 0..n_clusters-1."""
    from .oscura import kmeans_vectorized
    if method != "kmeans":
        raise ValueError(f"Only 'kmeans' method supported, got '{method}'")
    return kmeans_vectorized(data, n_clusters, random_state=random_state)[0]


cluster_messages_optimized = cluster_messages


class PatternClusterer:
    """The object form of the clustering functions: ``method`` "hamming"
    (cluster_by_hamming at ``threshold``), "edit" (cluster_by_edit_distance)
    or "hierarchical" (cluster_hierarchical, average linkage, into
    ``n_clusters``); an unknown method is a ValueError (Oscura falls back to
    hierarchical). ``distance_metric`` is kept, as in Oscura, and not
    used."""

    def __init__(self, n_clusters: int = 3, method: str = "hamming",
                 distance_metric: str = "hamming", threshold: float = 0.3,
                 min_cluster_size: int = 2) -> None:
        if method not in ("hamming", "edit", "hierarchical"):
            raise ValueError(f"method must be hamming, edit or hierarchical, not {method!r}")
        self.n_clusters = n_clusters
        self.method = method
        self.distance_metric = distance_metric
        self.threshold = threshold
        self.min_cluster_size = min_cluster_size
        self.result_: Any = None

    def cluster(self, patterns: list[Any]) -> Any:
        """Clusters the patterns; returns the labels (-1: noise)."""
        from . import oscura as o
        if self.method == "hamming":
            self.result_ = o.cluster_by_hamming(patterns, threshold=self.threshold,
                                                min_cluster_size=self.min_cluster_size)
        elif self.method == "edit":
            self.result_ = o.cluster_by_edit_distance(patterns, threshold=self.threshold,
                                                      min_cluster_size=self.min_cluster_size)
        else:
            self.result_ = o.cluster_hierarchical(patterns, method="average",
                                                  num_clusters=self.n_clusters)
        return self.result_.labels

    def fit(self, patterns: list[Any]) -> "PatternClusterer":
        self.cluster(patterns)
        return self

    def fit_predict(self, patterns: list[Any]) -> Any:
        return self.cluster(patterns)

    def get_clusters(self) -> list[Any]:
        if self.result_ is None:
            raise ValueError("Must call cluster() before get_clusters()")
        return self.result_.clusters

    def get_silhouette_score(self) -> float:
        if self.result_ is None:
            raise ValueError("Must call cluster() before get_silhouette_score()")
        return self.result_.silhouette_score


# ---- FuzzyMatcher.match_with_wildcards -----------------------------------------------


def wildcard_windows(data: Any, pattern: bytes, wildcard: int, k: int,
                     min_similarity: float) -> list[tuple[int, int, float]]:
    """Every window of len(pattern) bytes (overlapping ones included) whose
    bytes differ from the pattern's non-wildcard bytes in at most k places,
    with similarity (non-wildcard bytes - mismatches) / non-wildcard bytes
    >= min_similarity: (offset, mismatches, similarity), NumPy over every
    window (O(n x non-wildcard bytes))."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    buf = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
    m = len(pattern)
    if m == 0:
        raise ValueError("Pattern cannot be empty")
    if len(buf) < m:
        return []
    p = np.frombuffer(pattern, dtype=np.uint8)
    care = np.flatnonzero(p != wildcard)
    if len(care) == 0:
        return [(i, 0, 1.0) for i in range(len(buf) - m + 1)]
    win = sliding_window_view(buf, m)
    mism = np.zeros(len(win), dtype=np.int32)
    for j in care:
        mism += win[:, j] != p[j]
    sim = (len(care) - mism) / len(care)
    keep = np.flatnonzero((mism <= k) & (sim >= min_similarity))
    return [(int(i), int(mism[i]), float(sim[i])) for i in keep]
