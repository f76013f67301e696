"""Oscura's AnomalyDetector (oscura.analyzers.patterns.anomaly_detection,
v0.9.0) on trawl's anomaly layer (trawl.anomaly, include/trawl/anomaly.h).

Same names, arguments and result fields; every statistical test is trawl's
(z-score, modified z-score with MAD, IQR fences), so every anomaly's
explanation ends with trawl's sentence: the value, the baseline statistic,
the threshold crossed. docs/python-oscura-differences.md lists where the
results differ (rows 37-49) and why.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Optional, Sequence, Union

from .. import anomaly as _anom

# Oscura's method names -> trawl's
_STAT = {"zscore": "zscore", "iqr": "iqr", "modified_zscore": "mzscore"}
_OSCURA_NAME = {v: k for k, v in _STAT.items()}
# what Oscura accepts and never runs in detect() (it trains scikit-learn
# models in train() and does not consult them); trawl trains none of them
_ML = ("isolation_forest", "one_class_svm", "autoencoder", "arima", "seasonal_decomposition")


@dataclass
class Anomaly:
    """A detected anomaly, Oscura's record: ``score`` is 0..1 (higher is
    more anomalous); ``context`` holds trawl's own record of the test that
    fired (``method``, ``threshold``, ``detail``, ...)."""

    timestamp: float
    anomaly_type: str
    score: float
    message_index: Optional[int] = None
    field_name: Optional[str] = None
    expected_value: Any = None
    actual_value: Any = None
    explanation: str = ""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnomalyDetectionConfig:
    """Oscura's configuration: ``methods`` (zscore, iqr, modified_zscore;
    the ML names are accepted and not run), ``zscore_threshold`` (also the
    modified z-score's threshold, as in Oscura), ``iqr_multiplier``,
    ``contamination`` (ML only: unused), ``window_size``."""

    methods: list[str] = field(default_factory=lambda: ["zscore", "isolation_forest"])
    zscore_threshold: float = 3.0
    iqr_multiplier: float = 1.5
    contamination: float = 0.1
    window_size: int = 100


def _score(a: _anom.Anomaly) -> float:
    """Oscura's 0..1 score from trawl's statistic: z / 5 (Oscura's own
    normalisation of the z-score), modified z / 5, IQRs beyond the quartile
    / 5; capped at 1."""
    s = abs(a.score)
    return 1.0 if math.isinf(s) else min(s / 5.0, 1.0)


def _num(x: Any) -> Any:
    """A plain Python number (JSON-serialisable) from a NumPy scalar."""
    return x.item() if hasattr(x, "item") else x


def _reservoir(n: int) -> int:
    """Samples kept for the quantiles: all of them (exact median, MAD and
    quartiles) up to trawl's bound of 2^24, a seeded reservoir beyond."""
    return min(max(n, 4096), 1 << 24)


def _round(x: float) -> float:
    """x to 9 significant digits: periods computed from float timestamps
    carry rounding noise of ~1e-15 that a scale-free test (a z-score) would
    otherwise read as spread."""
    return float(f"{x:.9g}")


class AnomalyDetector:
    """Oscura's detector on trawl's anomaly layer. :meth:`train` learns a
    baseline per feature (trawl batch mode); :meth:`detect` tests a data
    point against it; the ``detect_*`` functions judge the series they are
    given; :meth:`export_report` writes every anomaly found so far."""

    STATISTICAL_METHODS: ClassVar[list[str]] = ["zscore", "iqr", "modified_zscore"]
    ML_METHODS: ClassVar[list[str]] = ["isolation_forest", "one_class_svm", "autoencoder"]
    TIMESERIES_METHODS: ClassVar[list[str]] = ["arima", "seasonal_decomposition"]

    def __init__(self, config: Optional[AnomalyDetectionConfig] = None) -> None:
        self.config = config or AnomalyDetectionConfig()
        self.models: dict[str, Any] = {}
        self.baselines: dict[str, Any] = {}
        self.anomalies: list[Anomaly] = []
        self._model: Optional[_anom.Model] = None

    # ---- configuration --------------------------------------------------------

    def _methods(self) -> list[str]:
        """trawl's names of the configured statistical methods; unknown names
        raise ValueError (Oscura ignores them)."""
        out = []
        for m in self.config.methods:
            if m in _STAT:
                out.append(_STAT[m])
            elif m not in _ML:
                raise ValueError(f"Unknown method: {m} (known: "
                                 f"{', '.join(list(_STAT) + list(_ML))})")
        return out

    def _params(self) -> dict[str, Any]:
        return {"z": self.config.zscore_threshold, "mz": self.config.zscore_threshold,
                "iqr_k": self.config.iqr_multiplier}

    def _record(self, found: list[Anomaly]) -> list[Anomaly]:
        self.anomalies.extend(found)
        return found

    # ---- a trained baseline -------------------------------------------------------

    def train(self, normal_data: list[dict[str, Any]], features: list[str]) -> None:
        """Learns each feature's baseline (mean, std, median, MAD, quartiles)
        from at least 10 normal data points; ``baselines`` then holds them.
        The ML methods are not trained."""
        if len(normal_data) < 10:
            raise ValueError("Need at least 10 samples for training")
        self._methods()  # refuse unknown names now
        m = _anom.Model("zscore,mzscore,iqr", min_samples=10,
                        reservoir=_reservoir(len(normal_data)), **self._params())
        for i, d in enumerate(normal_data):
            for f in features:
                m.learn(f, float(d[f]), time=float(i))
        m.finish()
        self._model = m
        self.baselines = {}
        for c in m.channels():
            name = c.name[len("series "):]
            self.baselines[name] = {"mean": c.mean, "std": c.std, "median": c.median,
                                    "q1": c.q1, "q3": c.q3, "mad": c.mad, "n": c.n}

    def detect(self, data: dict[str, Any], timestamp: float = 0.0) -> list[Anomaly]:
        """Tests one data point's features against their trained baselines
        with the configured methods (zscore, iqr, modified_zscore).
        Features without a baseline are skipped; when none has one (or no
        statistical method is configured) nothing could be judged and
        ValueError is raised."""
        methods = self._methods()
        judged = [f for f in data if f in self.baselines]
        if self._model is None or not judged:
            raise ValueError("no feature of this data point has a baseline: call train() with "
                             "its features first")
        if not methods:
            raise ValueError(f"no statistical method in {self.config.methods}: trawl runs "
                             "zscore, iqr and modified_zscore (no ML methods)")
        found = []
        for f in judged:
            value = data[f]
            b = self.baselines[f]
            for a in self._model.detect(f, float(value), time=timestamp):
                if a.method not in methods:
                    continue
                ctx: dict[str, Any] = {"method": _OSCURA_NAME[a.method], "what": a.what,
                                       "threshold": a.threshold, "detail": a.detail}
                if a.method == "iqr":
                    k = self.config.iqr_multiplier
                    iqr = b["q3"] - b["q1"]
                    ctx.update(iqr=iqr, bounds=(b["q1"] - k * iqr, b["q3"] + k * iqr))
                    expected = b["median"]
                else:
                    ctx["z_score" if a.method == "zscore" else "modified_z_score"] = a.score
                    expected = a.baseline
                found.append(Anomaly(timestamp=timestamp, anomaly_type="value",
                                     score=_score(a), field_name=f, expected_value=expected,
                                     actual_value=_num(value),
                                     explanation=f"{f} value {float(value):.2f}: {a.detail}",
                                     context=ctx))
        return self._record(found)

    def detect_batch(self, data_points: list[dict[str, Any]],
                     timestamps: list[float]) -> list[Anomaly]:
        """:meth:`detect` on each point with its timestamp (the two lists
        must have one length)."""
        if len(data_points) != len(timestamps):
            raise ValueError(f"{len(data_points)} data points but {len(timestamps)} timestamps")
        out = []
        for d, t in zip(data_points, timestamps):
            out.extend(self.detect(d, t))
        return out

    # ---- series judged against themselves ------------------------------------------

    def _in_sample(self, values: Sequence[float], methods: str, **params: Any
                   ) -> tuple[dict[int, list[_anom.Anomaly]], Optional[_anom.Channel]]:
        """trawl's batch mode on one series: learn every value, finish, then
        test each against the whole (what Oscura's statistics do). Returns
        the anomalies per index and the series' baseline statistics."""
        if len(values) < 2:
            return {}, None
        m = _anom.Model(methods, min_samples=2, reservoir=_reservoir(len(values)), **params)
        for i, v in enumerate(values):
            m.learn("x", float(v), time=float(i))
        m.finish()
        out: dict[int, list[_anom.Anomaly]] = {}
        for i, v in enumerate(values):
            got = m.detect("x", float(v), time=float(i), index=i)
            if got:
                out[i] = got
        return out, m.channels()[0]

    def detect_field_value_anomaly(self, field_values: list[float], field_name: str,
                                   method: str = "modified_zscore") -> list[Anomaly]:
        """Values of one field that are outliers among the values given:
        ``method`` zscore (threshold ``zscore_threshold``), iqr
        (``iqr_multiplier``) or modified_zscore (median and MAD, threshold
        ``zscore_threshold`` as in Oscura)."""
        if method not in _STAT:
            raise ValueError(f"Unknown method: {method}")
        vals = [float(v) for v in field_values]
        hits, _ = self._in_sample(vals, _STAT[method], **self._params())
        mean = sum(vals) / len(vals) if vals else 0.0
        found = []
        for i in sorted(hits):
            a = hits[i][0]
            found.append(Anomaly(timestamp=float(i), anomaly_type="value", score=_score(a),
                                 message_index=i, field_name=field_name,
                                 expected_value=a.baseline, actual_value=vals[i],
                                 explanation=f"{field_name} value {vals[i]:.2f} deviates "
                                             f"significantly from expected {a.baseline:.2f}: "
                                             f"{a.detail}",
                                 context={"method": method, "mean": mean, "what": a.what,
                                          "threshold": a.threshold, "score": a.score,
                                          "detail": a.detail}))
        return self._record(found)

    def detect_timing_anomaly(self, inter_arrival_times: list[float],
                              expected_period: Optional[float] = None) -> list[Anomaly]:
        """Inter-arrival times that are outliers among those given (z-score
        at ``zscore_threshold`` and trawl's timing test, the modified z-score
        at 3.5); with ``expected_period``, those more than 50 % away from it
        (Oscura's rule)."""
        times = [float(t) for t in inter_arrival_times]
        if not times:
            return []
        found = []
        if expected_period is not None:
            if expected_period <= 0:
                raise ValueError(f"expected_period must be positive, got {expected_period}")
            for i, t in enumerate(times):
                dev = abs(t - expected_period) / expected_period
                if dev > 0.5:
                    found.append(Anomaly(
                        timestamp=float(i), anomaly_type="timing", score=min(dev, 1.0),
                        message_index=i, expected_value=expected_period, actual_value=t,
                        explanation=f"Timing anomaly: {t:.2f}s vs expected {expected_period:.2f}s "
                                    f"({dev:.0%} off the given period, more than 50%)",
                        context={"expected_period": expected_period, "method": "period"}))
            return self._record(found)
        hits, ch = self._in_sample([_round(t) for t in times], "zscore,mzscore",
                                   z=self.config.zscore_threshold)
        for i in sorted(hits):
            a = hits[i][0]
            med = ch.median if ch else a.baseline
            found.append(Anomaly(
                timestamp=float(i), anomaly_type="timing", score=_score(a), message_index=i,
                expected_value=med, actual_value=times[i],
                explanation=f"Timing anomaly: {times[i]:.2f}s vs expected {med:.2f}s: {a.detail}",
                context={"expected_period": med, "method": _OSCURA_NAME[a.method],
                         "methods": [_OSCURA_NAME[x.method] for x in hits[i]],
                         "threshold": a.threshold, "detail": a.detail}))
        return self._record(found)

    def detect_sequence_anomaly(self, sequences: list[list[int]],
                                trained_model: Any = None) -> list[Anomaly]:
        """Sequences of unusual length among those given: z-score at
        ``zscore_threshold`` and IQR fences at ``iqr_multiplier`` (trawl's
        length test). ``trained_model`` is not supported (Oscura accepts it
        and ignores it): passing one raises ValueError."""
        if trained_model is not None:
            raise ValueError("trained_model is not supported (Oscura ignores it)")
        lengths = [len(s) for s in sequences]
        hits, ch = self._in_sample(lengths, "zscore", z=self.config.zscore_threshold)
        if ch is None:
            return []
        found = []
        for i, n in enumerate(lengths):
            ratio = n / ch.median if ch.median else math.inf
            far = ratio > 2.0 or ratio < 0.5
            if i not in hits and not far:
                continue
            why = hits[i][0].detail if i in hits else \
                f"{ratio:.3g} x the median length {ch.median:.6g} (outside 0.5 .. 2)"
            found.append(Anomaly(
                timestamp=float(i), anomaly_type="sequence",
                score=_score(hits[i][0]) if i in hits else min(abs(math.log2(ratio)) / 2, 1.0)
                if ratio not in (0, math.inf) else 1.0,
                message_index=i, expected_value=ch.mean, actual_value=n,
                explanation=f"Unusual sequence length: {n} bytes vs expected {ch.mean:.0f} "
                            f"bytes: {why}",
                context={"sequence_length": n, "median_length": ch.median,
                         "methods": (["zscore"] if i in hits else []) +
                                    (["median_ratio"] if far else []),
                         "detail": why}))
        return self._record(found)

    def detect_message_rate_anomaly(self, timestamps: list[float],
                                    window_size: int = 100) -> list[Anomaly]:
        """Bursts and gaps: the rate over each run of ``window_size``
        consecutive messages (Oscura's sliding window), flagged when trawl's
        z-score among all windows passes ``zscore_threshold`` or the rate is
        more than 30 % from the median rate (Oscura's rule: many windows
        share one burst or gap, which masks it from the z-score). A rate as
        constant as a coefficient of variation under 0.01 %: none. Fewer
        than ``window_size`` timestamps: none."""
        if window_size < 2:
            raise ValueError(f"window_size must be at least 2, got {window_size}")
        ts = [float(t) for t in timestamps]
        if len(ts) < window_size:
            return []
        rates, mids = [], []
        for i in range(len(ts) - window_size):
            span = ts[i + window_size - 1] - ts[i]
            rates.append(window_size / span if span > 0 else 0.0)
            mids.append(ts[i + window_size // 2])
        if not rates:
            return []
        mean = sum(rates) / len(rates)
        std = math.sqrt(sum((r - mean) ** 2 for r in rates) / len(rates))
        if std < mean * 1e-4:
            return []
        hits, ch = self._in_sample(rates, "zscore", z=self.config.zscore_threshold)
        med = ch.median if ch else mean
        found = []
        for i, rate in enumerate(rates):
            dev = abs(rate - med) / med if med else math.inf
            if i not in hits and dev <= 0.3:
                continue
            kind = "burst" if rate > mean else "gap"
            why = hits[i][0].detail if i in hits else \
                f"{dev:.0%} from the median rate {med:.6g} msg/s (over 30%)"
            found.append(Anomaly(
                timestamp=mids[i], anomaly_type="rate",
                score=min(abs(rate - mean) / mean, 1.0) if mean else 1.0, message_index=i,
                explanation=f"Message {kind} detected: {rate:.1f} msg/s vs expected "
                            f"{mean:.1f} msg/s: {why}",
                context={"rate": rate, "expected_rate": mean, "median_rate": med, "window": i,
                         "methods": (["zscore"] if i in hits else []) +
                                    (["median_deviation"] if dev > 0.3 else []),
                         "detail": why}))
        return self._record(found)

    # ---- reports ------------------------------------------------------------------------

    def _count_by_type(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for a in self.anomalies:
            counts[a.anomaly_type] = counts.get(a.anomaly_type, 0) + 1
        return counts

    def export_report(self, output_path: Union[str, Path], format: str = "json") -> None:
        """Writes every anomaly found so far, with the configuration and a
        count per type, as JSON or text (``format`` json or txt)."""
        if format not in ("json", "txt"):
            raise ValueError(f"Unsupported format: {format}")
        path = Path(output_path)
        c = self.config
        if format == "json":
            report = {
                "config": {"methods": list(c.methods), "zscore_threshold": c.zscore_threshold,
                           "iqr_multiplier": c.iqr_multiplier,
                           "contamination": c.contamination, "window_size": c.window_size},
                "summary": {"total_anomalies": len(self.anomalies),
                            "by_type": self._count_by_type()},
                "anomalies": [{"timestamp": a.timestamp, "anomaly_type": a.anomaly_type,
                               "score": a.score, "message_index": a.message_index,
                               "field_name": a.field_name,
                               "expected_value": _num(a.expected_value),
                               "actual_value": _num(a.actual_value),
                               "explanation": a.explanation, "context": a.context}
                              for a in self.anomalies],
            }
            path.write_text(json.dumps(report, indent=2, default=_num))
            return
        lines = ["Anomaly Detection Report", "=" * 80, "", "Configuration:",
                 f"  Methods: {', '.join(c.methods)}",
                 f"  Z-score threshold: {c.zscore_threshold}",
                 f"  IQR multiplier: {c.iqr_multiplier}", "", "Summary:",
                 f"  Total anomalies: {len(self.anomalies)}", "  By type:"]
        lines += [f"    {k}: {n}" for k, n in self._count_by_type().items()]
        lines += ["", "Anomalies:", "-" * 80]
        for i, a in enumerate(self.anomalies, 1):
            lines += [f"{i}. [{a.anomaly_type}] {a.explanation}",
                      f"   Timestamp: {a.timestamp:.3f}", f"   Score: {a.score:.3f}"]
            if a.field_name:
                lines.append(f"   Field: {a.field_name}")
            if a.message_index is not None:
                lines.append(f"   Message index: {a.message_index}")
            lines.append("")
        path.write_text("\n".join(lines) + "\n")
