from typing import Any, NamedTuple, Optional, Sequence, Union

import numpy.typing as npt

_Buffer = Any
_Scoring = Optional[tuple[int, int, int]]

def histogram(data: _Buffer) -> list[int]: ...
def entropy(data: _Buffer, *, corrected: bool = ...) -> float: ...
def chi_square(data: _Buffer) -> tuple[float, float]: ...

class Windows(NamedTuple):
    offsets: npt.NDArray[Any]
    values: npt.NDArray[Any]
    max: float
    max_offset: int

def entropy_windows(data: _Buffer, window: int = ..., step: Optional[int] = ..., *,
                    corrected: bool = ...) -> Windows: ...

class Region(NamedTuple):
    offset: int
    length: int
    kind: str
    entropy: float
    chi_square: float
    p_value: float
    printable: float
    fill: int
    rule: str

def regions(data: _Buffer, window: int = ...) -> list[Region]: ...

class Column(NamedTuple):
    count: int
    entropy: float
    distinct: int
    mode: int
    mode_count: int
    min: int
    max: int

def columns(msgs: Sequence[_Buffer], ncols: Optional[int] = ...) -> list[Column]: ...

class NGram(NamedTuple):
    gram: bytes
    count: int
    messages: int
    first_message: int
    first_offset: int

def ngrams(msgs: Union[_Buffer, Sequence[_Buffer]], n: int = ..., top: int = ..., *,
           max_bytes: int = ...) -> tuple[list[NGram], int, int]: ...

class Repeat(NamedTuple):
    length: int
    offsets: list[int]

class Period(NamedTuple):
    period: int
    support: int
    aligned: int

def repeats(data: _Buffer, *, min_length: int = ..., top: int = ..., order: str = ...,
            max_period: int = ..., max_bytes: int = ...,
            keep_runs: bool = ...) -> tuple[list[Repeat], list[Period], int]: ...

class Alignment(NamedTuple):
    score: int
    a_pos: list[int]
    b_pos: list[int]
    matches: int
    mismatches: int
    gaps: int

def align(a: _Buffer, b: _Buffer, scoring: _Scoring = ...) -> Alignment: ...
def distance(a: _Buffer, b: _Buffer, metric: str = ..., *, ngram: int = ...,
             scoring: _Scoring = ...) -> float: ...
def distance_matrix(msgs: Sequence[_Buffer], metric: str = ..., *, ngram: int = ...,
                    scoring: _Scoring = ..., threads: int = ...,
                    max_bytes: int = ...) -> npt.NDArray[Any]: ...
def pdist(X: Any, *, threads: int = ..., max_bytes: int = ...) -> npt.NDArray[Any]: ...
def square(D: Any) -> npt.NDArray[Any]: ...
def linkage(D: Any, method: str = ..., *, vectors: bool = ..., threads: int = ...,
            max_bytes: int = ...) -> npt.NDArray[Any]: ...
def cut(Z: Any, *, k: Optional[int] = ..., distance: Optional[float] = ...) -> npt.NDArray[Any]: ...

class KMeans(NamedTuple):
    labels: npt.NDArray[Any]
    centers: npt.NDArray[Any]
    inertia: float
    iterations: int
    converged: bool

def kmeans(X: Any, k: int, *, max_iter: int = ..., tol: float = ..., n_init: int = ...,
           seed: int = ..., init: Any = ..., algorithm: str = ..., threads: int = ...) -> KMeans: ...
def dbscan(D: Any, eps: float, min_samples: int = ...) -> npt.NDArray[Any]: ...
def silhouette(D: Any, labels: Any, *, vectors: bool = ..., threads: int = ...) -> float: ...

class Consensus(NamedTuple):
    members: int
    columns: list[Column]
    pattern: Optional[str]
    common: int
    fixed: int

def consensus(msgs: Sequence[_Buffer], members: Optional[Sequence[int]] = ...) -> Consensus: ...
def features(msgs: Sequence[_Buffer], spec: str = ...) -> npt.NDArray[Any]: ...
