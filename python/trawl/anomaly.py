"""Anomalies in numeric series and message traffic, each explained
(include/trawl/anomaly.h, docs/anomaly.md).

    >>> import trawl.anomaly as ta
    >>> m = ta.Model(methods="zscore,iqr")
    >>> for i in range(100):
    ...     m.learn("temp", 20.0 + (i % 5) * 0.1, time=i)
    >>> m.finish()
    >>> [(a.method, a.what) for a in m.detect("temp", 35.0, time=100)]
    [('zscore', 'outlier-high'), ('iqr', 'outlier-high')]

Batch mode: learn a baseline, :meth:`Model.finish`, then detect (the
baseline does not change) or :meth:`Model.save` it; ``online=True``: every
sample is tested against what came before on its channel, then learned.
A model belongs to one thread at a time.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional, Sequence, Union

from . import _lib
from ._lib import ffi, lib

METHODS = tuple(ffi.string(lib.trawl_anom_method_name(i)).decode() for i in range(9))


class Anomaly(NamedTuple):
    """``method`` (zscore, mzscore, iqr, ewma, cusum, rate, timing,
    sequence, value), ``what`` (outlier-high, burst, gap, delay,
    level-shift-up, unseen-value, ...), ``channel``, ``time``, ``index``,
    ``value``, ``baseline``, ``spread``, ``threshold``, ``score``,
    ``detail`` (one sentence)."""

    method: str
    what: str
    channel: str
    time: float
    index: int
    value: float
    baseline: float
    spread: float
    threshold: float
    score: float
    detail: str


def _str(p: Any) -> str:
    return ffi.string(p).decode("utf-8", "replace") if p != ffi.NULL else ""


@ffi.callback("trawl_anomaly_fn", onerror=lambda *a: 1)
def _on_anomaly(a: Any, ud: Any) -> int:
    out = ffi.from_handle(ud)
    try:
        out.append(Anomaly(METHODS[a.method], _str(a.what), _str(a.channel), a.time,
                           int(a.index), a.value, a.baseline, a.spread, a.threshold, a.score,
                           _str(a.detail)))
        return 0
    except BaseException:
        return 1


class Message(NamedTuple):
    """A message for the traffic tests: its bytes, its flow direction's
    name (e.g. "a:1>b:2"; None: one stream), ports, time (seconds) and
    index."""

    data: Any
    flow: Optional[str] = None
    src_port: int = 0
    dst_port: int = 0
    time: float = 0.0
    index: int = 0


class Channel(NamedTuple):
    name: str
    n: int
    mean: float
    std: float
    median: float
    mad: float
    q1: float
    q3: float
    distinct: int


_PARAMS = ("z", "mz", "iqr_k", "ewma_lambda", "ewma_l", "cusum_k", "cusum_h", "rate_window",
           "min_samples", "online", "warmup", "reservoir", "max_distinct", "max_channels",
           "columns", "max_columns")


def _params(methods: Union[None, str, Sequence[str]], kw: dict[str, Any]) -> Any:
    p = ffi.new("trawl_anom_params *")
    if methods is not None:
        text = methods if isinstance(methods, str) else ",".join(methods)
        mask = ffi.new("unsigned *")
        err = _lib.new_error()
        _lib.check(lib.trawl_anom_methods_parse(text.encode(), mask, err), err)
        p.methods = mask[0]
    for k, v in kw.items():
        if k not in _PARAMS:
            raise TypeError(f"unknown parameter {k!r} (known: {', '.join(_PARAMS)})")
        setattr(p, k, v)
    return p


class Model:
    """An anomaly model. ``methods``: a list or comma list of
    :data:`METHODS` (default all); keyword parameters as in
    ``trawl_anom_params`` (z, mz, iqr_k, ewma_lambda, ewma_l, cusum_k,
    cusum_h, rate_window, min_samples, online, warmup, reservoir,
    max_distinct, max_channels, columns, max_columns; 0 = default)."""

    def __init__(self, methods: Union[None, str, Sequence[str]] = None, *,
                 _ptr: Any = None, **params: Any) -> None:
        if _ptr is not None:
            self._ptr = _ptr
            return
        out = ffi.new("trawl_anom_model **")
        err = _lib.new_error()
        _lib.check(lib.trawl_anom_new(_params(methods, params), out, err), err)
        self._ptr = ffi.gc(out[0], lib.trawl_anom_free)

    def _run(self, fn: Callable[..., int], *args: Any) -> list[Anomaly]:
        got: list[Anomaly] = []
        err = _lib.new_error()
        st = fn(self._ptr, *args, _on_anomaly, ffi.new_handle(got), err)
        _lib.check(st, err)
        return got

    def learn(self, channel: str, value: float, *, time: float = 0.0) -> None:
        """Learns one sample of a numeric channel."""
        err = _lib.new_error()
        _lib.check(lib.trawl_anom_learn_value(self._ptr, channel.encode(), time, value, err), err)

    def detect(self, channel: str, value: float, *, time: float = 0.0,
               index: int = 0) -> list[Anomaly]:
        """Tests one sample (online: then learns it)."""
        return self._run(lib.trawl_anom_detect_value, channel.encode(), time, index, value)

    @staticmethod
    def _msgs(msgs: Sequence[Any]) -> tuple[Any, list[Any]]:
        ms = [m if isinstance(m, Message) else Message(m, index=i) for i, m in enumerate(msgs)]
        keep: list[Any] = []
        arr = ffi.new("trawl_anom_msg[]", max(len(ms), 1))
        for i, m in enumerate(ms):
            b = _lib.from_buffer(m.data)
            f = ffi.new("char[]", m.flow.encode()) if m.flow is not None else ffi.NULL
            keep += [b, f]
            arr[i].data.ptr = b
            arr[i].data.len = len(b)
            arr[i].flow = f
            arr[i].src_port = m.src_port
            arr[i].dst_port = m.dst_port
            arr[i].time = m.time
            arr[i].index = m.index
        return arr, keep

    def learn_messages(self, msgs: Sequence[Any]) -> None:
        """Learns a baseline of messages (types and fields by format
        inference); once per model."""
        arr, keep = self._msgs(msgs)
        err = _lib.new_error()
        _lib.check(lib.trawl_anom_learn_msgs(self._ptr, arr, len(msgs), err), err)

    def detect_messages(self, msgs: Sequence[Any]) -> list[Anomaly]:
        """Tests messages in order (any batch sizes give the same result)."""
        arr, keep = self._msgs(msgs)
        return self._run(lib.trawl_anom_detect_msgs, arr, len(msgs))

    def flush(self) -> list[Anomaly]:
        """Closes open rate windows (the end of the input)."""
        return self._run(lib.trawl_anom_flush)

    def finish(self) -> None:
        """Computes the baseline statistics (batch mode); required before
        detecting or saving."""
        err = _lib.new_error()
        _lib.check(lib.trawl_anom_finish(self._ptr, err), err)

    def save(self) -> str:
        """The finished baseline as text (docs/anomaly.md)."""
        buf = ffi.new("char **")
        size = ffi.new("size_t *")
        fp = _lib.libc.open_memstream(buf, size)
        if fp == ffi.NULL:
            raise MemoryError("open_memstream failed")
        err = _lib.new_error()
        st = lib.trawl_anom_save(self._ptr, fp, err)
        _lib.libc.fclose(fp)
        try:
            _lib.check(st, err)
            return ffi.buffer(buf[0], size[0])[:].decode()
        finally:
            _lib.libc.free(buf[0])

    @classmethod
    def load(cls, text: Union[str, bytes], methods: Union[None, str, Sequence[str]] = None,
             **params: Any) -> "Model":
        """Reads a saved baseline (untrusted: every field checked; errors
        carry ``line`` and ``column``). Given parameters replace the stored
        thresholds."""
        raw = text.encode() if isinstance(text, str) else bytes(text)
        p = _params(methods, params) if (methods is not None or params) else ffi.NULL
        out = ffi.new("trawl_anom_model **")
        err = _lib.new_error()
        _lib.check(lib.trawl_anom_load(raw, len(raw), p, out, err), err)
        return cls(_ptr=ffi.gc(out[0], lib.trawl_anom_free))

    def stats(self) -> dict[str, int]:
        s = ffi.new("trawl_anom_stats *")
        lib.trawl_anom_get_stats(self._ptr, s)
        return {"channels": int(s.channels), "learned": int(s.learned),
                "tested": int(s.tested), "dropped_channels": int(s.dropped_channels)}

    def channels(self) -> list[Channel]:
        out, info, i = [], ffi.new("trawl_anom_channel_info *"), 0
        while lib.trawl_anom_channel(self._ptr, i, info):
            out.append(Channel(_str(info.name), int(info.n), info.mean, info.std, info.median,
                               info.mad, info.q1, info.q3, int(info.distinct)))
            i += 1
        return out
