import os
from typing import Any, Iterable, NamedTuple, Optional, Sequence, Union

KIND: tuple[str, ...]
FORMAT: tuple[str, ...]
PROMPT_CONFIG: str

class ModelInfo(NamedTuple):
    name: str
    version: int
    kind: str
    format: str
    sparse: bool
    nnz_rows: int
    buckets: int
    char_min: int
    char_max: int
    word_max: int
    hidden: int
    n_dense: int
    min_words: int
    platt_a: float
    platt_b: float
    threshold: float
    checksum: int
    file_bytes: int

class Contrib(NamedTuple):
    value: float
    text: str

class Explanation(NamedTuple):
    terms: list[Contrib]
    base: float

class Metrics(NamedTuple):
    pos: int
    neg: int
    tp: int
    fp: int
    auc: float
    recall_at_1fpr: float
    log_loss: float

class TrainResult(NamedTuple):
    data: bytes
    best_epoch: int
    val_loss: float
    val_loss_calibrated: float

class Dataset:
    dense_names: list[str]
    feat: tuple[int, tuple[int, int], int]
    def __init__(self, *, buckets: int = ..., chars: tuple[int, int] = ..., words: int = ...,
                 dense_names: Sequence[str] = ...) -> None: ...
    @classmethod
    def for_model(cls, model: Model) -> Dataset: ...
    def add(self, text: Any, label: int, dense: Any = ..., tag: Optional[str] = ...) -> None: ...
    def __len__(self) -> int: ...
    @property
    def labels(self) -> Any: ...
    def tag(self, i: int) -> Optional[str]: ...
    def text(self, i: int) -> bytes: ...
    def dense(self, i: int) -> Any: ...

class Model:
    info: ModelInfo
    dense_names: list[str]
    def __init__(self, source: Union[str, os.PathLike[str], bytes, bytearray, memoryview]
                 ) -> None: ...
    @classmethod
    def open(cls, path: Union[str, os.PathLike[str]]) -> Model: ...
    @classmethod
    def load(cls, data: Union[bytes, bytearray, memoryview]) -> Model: ...
    def pool(self, text: Any) -> tuple[Any, int]: ...
    def logit(self, pre: Any, dense: Any = ...) -> float: ...
    def prob(self, z: float) -> float: ...
    def score(self, text: Any, dense: Any = ...) -> float: ...
    def scores(self, texts: Sequence[Any], dense: Any = ..., *, threads: int = ...) -> Any: ...
    def logits(self, dataset: Dataset, *, threads: int = ...) -> tuple[Any, Any]: ...
    def probs(self, dataset: Dataset, *, threads: int = ...) -> Any: ...
    def explain(self, text: Any, dense: Any = ..., *, k: int = ...) -> Explanation: ...
    def feature_vector(self, text: Any, dense: Any = ...) -> Any: ...
    def score_prompts(self, texts: Sequence[Union[str, bytes]], *, engine: Any = ...,
                      threads: int = ...) -> Any: ...
    def convert(self, format: str = ..., *, prune: float = ..., name: Optional[str] = ...
                ) -> bytes: ...
    def export_onnx(self) -> bytes: ...

def set_calibration(data: Any, a: float, b: float, threshold: float) -> bytes: ...
def train(train: Dataset, val: Dataset, *, kind: str = ..., hidden: Optional[int] = ...,
          epochs: Optional[int] = ..., batch: Optional[int] = ..., threads: Optional[int] = ...,
          lr: Optional[float] = ..., l2: Optional[float] = ..., seed: Optional[int] = ...,
          min_words: Optional[int] = ..., target_fpr: Optional[float] = ...,
          name: Optional[str] = ..., teacher_logits: Any = ...,
          temperature: Optional[float] = ..., alpha: Optional[float] = ...) -> TrainResult: ...
def metrics(scores: Any, labels: Any, threshold: float) -> Metrics: ...
def threshold_for_fpr(scores: Any, labels: Any, max_fpr: float, floor: float = ...) -> float: ...
def prompt_engine() -> Any: ...
def prompt_dataset(rows: Iterable[Any], model: Optional[Model] = ..., *, engine: Any = ...,
                   dense: bool = ..., buckets: int = ..., chars: tuple[int, int] = ...,
                   words: int = ...) -> Dataset: ...
