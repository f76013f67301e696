"""Measuring bytes and messages (include/trawl/analyze.h, docs/analyze.md):
entropy, windows and regions; per-offset columns; n-grams and repeats;
alignment and distances; hierarchical clustering (SciPy's linkage matrix),
k-means (scikit-learn's iteration), DBSCAN, silhouette; consensus; feature
vectors.

    >>> import trawl.analyze as ta
    >>> round(ta.entropy(bytes(range(256))), 3)
    8.0

Messages are sequences of bytes-like objects (never copied). Matrices are
NumPy arrays: a condensed distance matrix is SciPy's pdist layout (use
scipy.spatial.distance.squareform for the square form, or
:func:`square`); a linkage matrix is SciPy's Z. The GIL is released while
the library computes; functions with ``threads`` run on that many threads
(0 = every core) with results independent of the count.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional, Sequence, Union

from . import _lib
from ._lib import ffi, lib

_METRICS = ("hamming", "levenshtein", "jaccard", "align", "euclidean")
_LINKAGE = {"single": 0, "complete": 1, "average": 2, "upgma": 2, "weighted": 3, "wpgma": 3,
            "ward": 4}
_ORDERS = {"length": 0, "count": 1, "coverage": 2}
_REGIONS = ("padding", "text", "low-entropy", "binary", "code-like", "compressed", "random")


def _np() -> Any:
    import numpy as np

    return np


def _doubles(x: Any, ndim: int) -> Any:
    np = _np()
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != ndim:
        raise ValueError(f"expected {ndim}-D data, got {a.ndim}-D")
    return a


def _ptr(a: Any, ctype: str = "double *") -> Any:
    return ffi.cast(ctype, ffi.from_buffer(a)) if a.size else ffi.NULL


# ---- entropy ---------------------------------------------------------------


def histogram(data: Any) -> list[int]:
    """Count of each byte value (256 ints)."""
    b = _lib.from_buffer(data)
    h = ffi.new("uint64_t[256]")
    lib.trawl_analyze_histogram(b, len(b), h)
    return list(h)


def entropy(data: Any, *, corrected: bool = False) -> float:
    """Shannon entropy in bits per byte (0..8); ``corrected``: with the
    Miller-Madow small-sample correction."""
    b = _lib.from_buffer(data)
    d = ffi.new("unsigned *")
    h = lib.trawl_analyze_entropy(b, len(b), d)
    return float(lib.trawl_analyze_entropy_corrected(h, d[0], len(b)) if corrected else h)


def chi_square(data: Any) -> tuple[float, float]:
    """Pearson's chi-square of the byte histogram against uniform bytes, and
    its upper-tail p-value (255 degrees of freedom)."""
    b = _lib.from_buffer(data)
    h = ffi.new("uint64_t[256]")
    lib.trawl_analyze_histogram(b, len(b), h)
    x = float(lib.trawl_analyze_chi_square(h, len(b)))
    return x, float(lib.trawl_analyze_chi_square_p(x, 255))


class Windows(NamedTuple):
    """Window entropies: ``offsets`` and ``values`` (NumPy arrays), the
    highest (``max``, ``max_offset``)."""

    offsets: Any
    values: Any
    max: float
    max_offset: int


def entropy_windows(data: Any, window: int = 1024, step: Optional[int] = None, *,
                    corrected: bool = False) -> Windows:
    """Entropy of every ``window``-byte window at ``step`` (default: the
    window) -- the last window ends flush with the input."""
    np = _np()
    b = _lib.from_buffer(data)
    out = ffi.new("trawl_analyze_entropy_scanner **")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_entropy_scanner_new(window, step or window, out, err), err)
    sc = ffi.gc(out[0], lib.trawl_analyze_entropy_scanner_free)
    n = int(lib.trawl_analyze_entropy_window_count(sc, len(b)))
    values = np.zeros(n, dtype=np.float64)
    rq = ffi.new("trawl_analyze_entropy_request *")
    rq.corrected = corrected
    rq.values = _ptr(values)
    rq.cap = n
    st = ffi.new("trawl_analyze_window_stats *")
    _lib.check(lib.trawl_analyze_entropy_scan(sc, b, len(b), rq, st, err), err)
    offs = np.array([lib.trawl_analyze_entropy_window_offset(sc, len(b), i, ffi.NULL)
                     for i in range(n)], dtype=np.uint64)
    return Windows(offs, values, float(st.max), int(st.max_offset))


class Region(NamedTuple):
    offset: int
    length: int
    kind: str  # padding, text, low-entropy, binary, code-like, compressed, random
    entropy: float
    chi_square: float
    p_value: float
    printable: float
    fill: int
    rule: str


def regions(data: Any, window: int = 0) -> list[Region]:
    """Cuts the input into regions of one kind (trawl_analyze_regions)."""
    b = _lib.from_buffer(data)
    out = ffi.new("trawl_analyze_region **")
    n = ffi.new("size_t *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_regions(b, len(b), window, out, n, err), err)
    r = ffi.gc(out[0], lib.trawl_analyze_regions_free)
    return [Region(int(x.offset), int(x.len), _REGIONS[x.cls], x.entropy, x.chi_square,
                   x.p_value, x.printable, x.fill, ffi.string(x.rule).decode())
            for x in r[0:n[0]]]


# ---- columns, n-grams, repeats ----------------------------------------------


class Column(NamedTuple):
    count: int
    entropy: float
    distinct: int
    mode: int
    mode_count: int
    min: int
    max: int


def _column(c: Any) -> Column:
    return Column(int(c.count), c.entropy, c.distinct, c.mode, int(c.mode_count), c.min, c.max)


def columns(msgs: Sequence[Any], ncols: Optional[int] = None) -> list[Column]:
    """Statistics of each offset across the messages that reach it
    (``ncols`` offsets; default: the longest message)."""
    spans, keep = _lib.spans(msgs)
    if ncols is None:
        ncols = max((len(k) for k in keep), default=0)
    out = ffi.new("trawl_analyze_column[]", max(ncols, 1))
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_columns(spans, len(keep), ncols, out, err), err)
    return [_column(out[i]) for i in range(ncols)]


class NGram(NamedTuple):
    gram: bytes
    count: int
    messages: int
    first_message: int
    first_offset: int


def ngrams(msgs: Union[Any, Sequence[Any]], n: int = 2, top: int = 20, *,
           max_bytes: int = 0) -> tuple[list[NGram], int, int]:
    """The ``top`` most frequent ``n``-grams (overlapping, never across
    messages), and the totals: (grams, positions counted, distinct)."""
    if isinstance(msgs, (bytes, bytearray, memoryview)):
        msgs = [msgs]
    spans, keep = _lib.spans(msgs)
    o = ffi.new("trawl_analyze_ngram_opts *", {"n": n, "top": top, "max_bytes": max_bytes})
    res = ffi.new("trawl_analyze_ngram_result *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_ngrams(spans, len(keep), o, res, err), err)
    try:
        grams = [NGram(bytes(g.bytes[0:g.n]), int(g.count), int(g.messages),
                       int(g.first_message), int(g.first_offset))
                 for g in res.grams[0:res.count]]
        return grams, int(res.total), int(res.distinct)
    finally:
        lib.trawl_analyze_ngram_result_free(res)


class Repeat(NamedTuple):
    length: int
    offsets: list[int]


class Period(NamedTuple):
    period: int
    support: int
    aligned: int


def repeats(data: Any, *, min_length: int = 4, top: int = 20, order: str = "length",
            max_period: int = 0, max_bytes: int = 0,
            keep_runs: bool = False) -> tuple[list[Repeat], list[Period], int]:
    """Maximal repeats (suffix array): the best ``top`` under ``order``
    (length, count, coverage) with every occurrence, candidate periods, and
    the number of maximal repeats found; repeats inside a run of one byte
    value (padding) are left out unless ``keep_runs``."""
    b = _lib.from_buffer(data)
    o = ffi.new("trawl_analyze_repeat_opts *", {"min_length": min_length, "top": top,
                                                 "order": _ORDERS[order],
                                                 "max_period": max_period,
                                                 "max_bytes": max_bytes, "keep_runs": keep_runs})
    res = ffi.new("trawl_analyze_repeat_result *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_repeats(b, len(b), o, res, err), err)
    try:
        reps = [Repeat(r.length, [int(x) for x in r.offsets[0:r.count]])
                for r in res.repeats[0:res.count]]
        per = [Period(int(p.period), int(p.support), int(p.aligned))
               for p in res.periods[0:res.nperiods]]
        return reps, per, int(res.total)
    finally:
        lib.trawl_analyze_repeat_result_free(res)


# ---- alignment and distances ----------------------------------------------------


class Alignment(NamedTuple):
    """Columns pair a_pos[c] with b_pos[c]; -1 is a gap."""

    score: int
    a_pos: list[int]
    b_pos: list[int]
    matches: int
    mismatches: int
    gaps: int


def _scoring(scoring: Optional[tuple[int, int, int]]) -> Any:
    if scoring is None:
        return ffi.NULL
    m, x, g = scoring
    return ffi.new("trawl_analyze_scoring *", {"match": m, "mismatch": x, "gap": g})


def align(a: Any, b: Any, scoring: Optional[tuple[int, int, int]] = None) -> Alignment:
    """Needleman-Wunsch global alignment; ``scoring`` (match, mismatch,
    gap), default Netzob's (10, -10, 0)."""
    ba, bb = _lib.from_buffer(a), _lib.from_buffer(b)
    out = ffi.new("trawl_analyze_alignment *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_align(ba, len(ba), bb, len(bb), _scoring(scoring), out, err),
               err)
    try:
        return Alignment(int(out.score), list(out.a_pos[0:out.len]), list(out.b_pos[0:out.len]),
                         int(out.matches), int(out.mismatches), int(out.gaps))
    finally:
        lib.trawl_analyze_alignment_free(out)


def _dist_opts(metric: str, ngram: int, scoring: Any, threads: int, max_bytes: int) -> Any:
    m = ffi.new("trawl_analyze_metric *")
    if not lib.trawl_analyze_metric_parse(metric.encode(), m):
        raise ValueError(f"metric must be one of {_METRICS}, not {metric!r}")
    return ffi.new("trawl_analyze_distance_opts *", {
        "metric": m[0], "ngram": ngram, "scoring": scoring, "threads": threads,
        "max_bytes": max_bytes})


def distance(a: Any, b: Any, metric: str = "levenshtein", *, ngram: int = 2,
             scoring: Optional[tuple[int, int, int]] = None) -> float:
    """Two messages' distance in [0, 1]: hamming, levenshtein, jaccard (of
    ``ngram``-grams) or align (1 - NW score / best possible)."""
    ba, bb = _lib.from_buffer(a), _lib.from_buffer(b)
    sc = _scoring(scoring)
    o = _dist_opts(metric, ngram, sc, 0, 0)
    d = ffi.new("double *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_distance(ba, len(ba), bb, len(bb), o, d, err), err)
    return float(d[0])


def distance_matrix(msgs: Sequence[Any], metric: str = "levenshtein", *, ngram: int = 2,
                    scoring: Optional[tuple[int, int, int]] = None, threads: int = 0,
                    max_bytes: int = 0) -> Any:
    """The condensed distance matrix (SciPy's pdist layout, NumPy float64)
    of the messages; written by the library straight into the array."""
    np = _np()
    spans, keep = _lib.spans(msgs)
    n = len(keep)
    out = np.zeros(n * (n - 1) // 2, dtype=np.float64)
    sc = _scoring(scoring)
    o = _dist_opts(metric, ngram, sc, threads, max_bytes)
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_distance_matrix(spans, n, o, _ptr(out), err), err)
    return out


def pdist(X: Any, *, threads: int = 0, max_bytes: int = 0) -> Any:
    """Euclidean distances between the rows of X, condensed (SciPy's
    pdist(X))."""
    np = _np()
    a = _doubles(X, 2)
    n, d = a.shape
    out = np.zeros(n * (n - 1) // 2, dtype=np.float64)
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_pdist(_ptr(a), n, d, threads, max_bytes, _ptr(out), err), err)
    return out


def square(D: Any) -> Any:
    """The square form of a condensed matrix (as scipy's squareform)."""
    np = _np()
    D = np.asarray(D, dtype=np.float64)
    n = int(round((1 + (1 + 8 * len(D)) ** 0.5) / 2)) if len(D) else 1
    S = np.zeros((n, n))
    iu = np.triu_indices(n, 1)
    S[iu] = D
    S[(iu[1], iu[0])] = D
    return S


# ---- clustering -------------------------------------------------------------------


def _items(n_cond: int) -> int:
    n = int(round((1 + (1 + 8 * n_cond) ** 0.5) / 2))
    if n * (n - 1) // 2 != n_cond:
        raise ValueError(f"{n_cond} entries is not a condensed matrix")
    return n


def linkage(D: Any, method: str = "average", *, vectors: bool = False, threads: int = 0,
            max_bytes: int = 0) -> Any:
    """SciPy's linkage matrix Z ((n-1) x 4) from a condensed distance
    matrix D, or with ``vectors=True`` from the rows of D as points
    (Euclidean). Methods: single, complete, average (upgma), weighted
    (wpgma), ward."""
    np = _np()
    if method not in _LINKAGE:
        raise ValueError(f"method must be one of {sorted(_LINKAGE)}, not {method!r}")
    err = _lib.new_error()
    if vectors:
        X = _doubles(D, 2)
        n = X.shape[0]
        Z = np.zeros((max(n - 1, 0), 4))
        _lib.check(lib.trawl_analyze_linkage_vectors(_ptr(X), n, X.shape[1], _LINKAGE[method],
                                                     threads, max_bytes, _ptr(Z), err), err)
        return Z
    Dc = _doubles(D, 1)
    n = _items(len(Dc))
    Z = np.zeros((max(n - 1, 0), 4))
    _lib.check(lib.trawl_analyze_linkage(_ptr(Dc), n, _LINKAGE[method], _ptr(Z), err), err)
    return Z


def _labels(n: int) -> Any:
    np = _np()
    return np.zeros(n, dtype=np.int32)


def cut(Z: Any, *, k: Optional[int] = None, distance: Optional[float] = None) -> Any:
    """Flat clusters (labels from 0) from a linkage matrix: at most ``k``
    clusters, or clusters whose merges are all at ``distance`` or below (as
    SciPy's fcluster maxclust / distance, numbered from 0)."""
    Zc = _doubles(Z, 2)
    n = Zc.shape[0] + 1
    labels = _labels(n)
    nc = ffi.new("size_t *")
    err = _lib.new_error()
    lp = _ptr(labels, "int32_t *")
    if (k is None) == (distance is None):
        raise ValueError("give exactly one of k and distance")
    if k is not None:
        _lib.check(lib.trawl_analyze_cut_k(_ptr(Zc), n, k, lp, nc, err), err)
    else:
        _lib.check(lib.trawl_analyze_cut_distance(_ptr(Zc), n, distance, lp, nc, err), err)
    return labels


class KMeans(NamedTuple):
    labels: Any
    centers: Any
    inertia: float
    iterations: int
    converged: bool


def kmeans(X: Any, k: int, *, max_iter: int = 300, tol: float = 1e-4, n_init: int = 1,
           seed: int = 0, init: Any = None, algorithm: str = "auto",
           threads: int = 0) -> KMeans:
    """k-means of the rows of X (k-means++ seeding from ``seed``, or
    ``init`` centers); scikit-learn's Lloyd iteration, so labels, inertia
    and iteration count agree with KMeans from the same centers."""
    np = _np()
    a = _doubles(X, 2)
    n, d = a.shape
    algos = {"auto": 0, "lloyd": 1, "hamerly": 2}
    ini = _doubles(init, 2) if init is not None else None
    o = ffi.new("trawl_analyze_kmeans_opts *", {
        "k": k, "max_iter": max_iter, "tol": tol, "n_init": n_init, "seed": seed,
        "init": _ptr(ini) if ini is not None else ffi.NULL, "algorithm": algos[algorithm],
        "threads": threads})
    res = ffi.new("trawl_analyze_kmeans_result *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_kmeans(_ptr(a), n, d, o, res, err), err)
    try:
        labels = np.frombuffer(ffi.buffer(res.labels, 4 * n), dtype=np.int32).copy()
        centers = np.frombuffer(ffi.buffer(res.centers, 8 * k * d),
                                dtype=np.float64).reshape(k, d).copy()
        return KMeans(labels, centers, float(res.inertia), int(res.iterations),
                      bool(res.converged))
    finally:
        lib.trawl_analyze_kmeans_result_free(res)


def dbscan(D: Any, eps: float, min_samples: int = 5) -> Any:
    """DBSCAN over a condensed distance matrix (scikit-learn's, metric
    precomputed): labels, -1 for noise."""
    Dc = _doubles(D, 1)
    n = _items(len(Dc))
    labels = _labels(n)
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_dbscan(_ptr(Dc), n, eps, min_samples,
                                        _ptr(labels, "int32_t *"), ffi.NULL, err), err)
    return labels


def silhouette(D: Any, labels: Any, *, vectors: bool = False, threads: int = 0) -> float:
    """Mean silhouette coefficient (scikit-learn's silhouette_score) over a
    condensed matrix D, or with ``vectors=True`` over the rows of D as
    points (Euclidean)."""
    np = _np()
    lab = np.ascontiguousarray(labels, dtype=np.int32)
    sc = ffi.new("double *")
    err = _lib.new_error()
    if vectors:
        X = _doubles(D, 2)
        _lib.check(lib.trawl_analyze_silhouette_vectors(_ptr(X), X.shape[0], X.shape[1],
                                                        _ptr(lab, "int32_t *"), threads, sc,
                                                        ffi.NULL, err), err)
    else:
        Dc = _doubles(D, 1)
        _lib.check(lib.trawl_analyze_silhouette(_ptr(Dc), _items(len(Dc)),
                                                _ptr(lab, "int32_t *"), threads, sc, ffi.NULL,
                                                err), err)
    return float(sc[0])


class Consensus(NamedTuple):
    """What members share: per-offset ``columns``, the YARA hex ``pattern``
    (None when no offset agrees), ``common`` offsets every member has,
    ``fixed`` offsets of the pattern that are not ??."""

    members: int
    columns: list[Column]
    pattern: Optional[str]
    common: int
    fixed: int


def consensus(msgs: Sequence[Any], members: Optional[Sequence[int]] = None) -> Consensus:
    spans, keep = _lib.spans(msgs)
    mem = ffi.new("size_t[]", list(members)) if members is not None else ffi.NULL
    out = ffi.new("trawl_analyze_consensus_result *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_consensus(spans, len(keep), mem,
                                           len(members) if members is not None else 0, out,
                                           err), err)
    try:
        pat = ffi.string(out.pattern).decode() if out.pattern != ffi.NULL else None
        return Consensus(int(out.members), [_column(out.columns[i]) for i in range(out.len)],
                         pat, int(out.common), int(out.fixed))
    finally:
        lib.trawl_analyze_consensus_free(out)


def features(msgs: Sequence[Any], spec: str = "length,hist") -> Any:
    """Feature vectors, one row per message (trawl_analyze_features spec:
    length, hist, ngram:N:M, cols:N), as a NumPy matrix."""
    np = _np()
    spans, keep = _lib.spans(msgs)
    out = ffi.new("trawl_analyze_matrix *")
    err = _lib.new_error()
    _lib.check(lib.trawl_analyze_features(spans, len(keep), spec.encode(), out, err), err)
    try:
        return np.frombuffer(ffi.buffer(out.data, 8 * out.rows * out.cols),
                             dtype=np.float64).reshape(out.rows, out.cols).copy()
    finally:
        lib.trawl_analyze_matrix_free(out)
