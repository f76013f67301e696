"""trawl.anomaly from Python: z-score and IQR flags against NumPy's
statistics of the same baseline (values far from the bounds, so the choice
of quantile estimator cannot matter), a saved baseline reloaded detecting
the same, online mode learning as it goes, message traffic with a burst,
and errors naming the method's column and the baseline's line."""

import random

import pytest

np = pytest.importorskip("numpy")
import trawl  # noqa: E402
import trawl.anomaly as ta  # noqa: E402


def test_series_against_numpy():
    rng = random.Random(1)
    base = [rng.gauss(10, 1) for _ in range(500)]
    m = ta.Model("zscore,iqr")
    for i, v in enumerate(base):
        m.learn("x", v, time=i)
    m.finish()
    mean, std = np.mean(base), np.std(base)
    q1, q3 = np.percentile(base, [25, 75])
    ch = m.channels()[0]
    assert ch.n == 500 and ch.mean == pytest.approx(mean) and ch.std == pytest.approx(std, rel=1e-2)
    for v in (0.0, 4.0, 9.0, 10.5, 16.0, 25.0):
        got = {a.method for a in m.detect("x", v, time=1000)}
        z = abs(v - mean) / std > 3
        iqr = v < q1 - 1.5 * (q3 - q1) or v > q3 + 1.5 * (q3 - q1)
        assert got == {n for n, f in (("zscore", z), ("iqr", iqr)) if f}, v
    a = m.detect("x", 25.0, time=7, index=3)[0]
    assert (a.what, a.channel, a.time, a.index, a.value) == ("outlier-high", "series x", 7, 3, 25)
    assert a.baseline == pytest.approx(mean) and "25" in a.detail
    assert m.stats()["learned"] == 500


def test_save_load_and_online():
    m = ta.Model("zscore")
    for i in range(100):
        m.learn("t", 20 + (i % 5) * 0.1, time=i)
    with pytest.raises(trawl.StateError):
        m.save()  # before finish
    m.finish()
    m2 = ta.Model.load(m.save())
    assert [a.score for a in m2.detect("t", 30)] == [a.score for a in m.detect("t", 30)]
    assert ta.Model.load(m.save(), "zscore", z=1000).detect("t", 30) == []  # thresholds replaced
    on = ta.Model("mzscore", online=True, warmup=20)
    flagged = [i for i in range(60) if on.detect("v", 100.0 if i == 50 else 5.0 + (i % 3), time=i)]
    assert flagged == [50]
    with pytest.raises(trawl.FormatError) as e:
        ta.Model.load("trawl-anomaly-baseline 1\nnot a line\n")
    assert e.value.line == 2


def test_messages_rate_burst():
    msgs = [ta.Message(b"\x01\x00" + bytes([i % 4]), "a:1>b:502", 1, 502, i * 0.1, i)
            for i in range(300)]
    m = ta.Model("rate", rate_window=1.0)
    m.learn_messages(msgs)
    m.finish()
    t0 = 300 * 0.1
    burst = [ta.Message(b"\x01\x00\x01", "a:1>b:502", 1, 502, t0 + 5 + i * 0.001, 300 + i)
             for i in range(200)]
    quiet = [ta.Message(b"\x01\x00\x01", "a:1>b:502", 1, 502, t0 + 10 + i * 0.1, 500 + i)
             for i in range(30)]
    got = m.detect_messages(burst + quiet) + m.flush()
    assert any(a.method == "rate" and a.what == "burst" for a in got), got


def test_errors():
    with pytest.raises(trawl.InvalidArgumentError) as e:
        ta.Model("zscore,bogus")
    assert e.value.column == 8
    with pytest.raises(TypeError):
        ta.Model(zz=3)
    with pytest.raises(trawl.InvalidArgumentError):
        ta.Model().learn("x", float("nan"))
