"""trawl.analyze from Python against independent oracles: SciPy (pdist,
linkage, fcluster), scikit-learn (KMeans from the same centers, DBSCAN,
silhouette_score), collections.Counter for n-grams, a Python DP for edit
distances, math for entropy. Skips what needs SciPy / scikit-learn when
they are absent."""

import math
import random
from collections import Counter

import pytest

from conftest import levenshtein

np = pytest.importorskip("numpy")
import trawl.analyze as ta  # noqa: E402

try:
    import scipy.cluster.hierarchy as sch
    from scipy.spatial.distance import pdist as sp_pdist
except ImportError:  # pragma: no cover
    sch = None
try:
    from sklearn.cluster import DBSCAN, KMeans
    from sklearn.metrics import silhouette_score
except ImportError:  # pragma: no cover
    KMeans = None


def test_entropy_histogram_chi_square():
    assert ta.entropy(bytes(range(256)) * 4) == pytest.approx(8.0)
    assert ta.entropy(b"\x00" * 100) == 0.0
    data = b"aab"
    want = -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)
    assert ta.entropy(data) == pytest.approx(want)
    assert ta.histogram(data)[ord("a")] == 2
    x, p = ta.chi_square(bytes(range(256)) * 4)
    assert x == 0.0 and p == pytest.approx(1.0)
    assert ta.chi_square(b"\x00" * 4096)[1] < 1e-6


def test_windows_and_regions():
    data = b"\x00" * 4096 + random.Random(1).randbytes(4096) + b"hello world " * 400
    w = ta.entropy_windows(data, 1024)
    assert list(w.offsets[:3]) == [0, 1024, 2048] and len(w.values) == len(w.offsets)
    assert w.values[0] == 0.0 and w.max > 7.5 and 4096 <= w.max_offset < 8192
    kinds = [r.kind for r in ta.regions(data)]
    assert kinds[0] == "padding" and "random" in kinds and kinds[-1] == "text"
    rs = ta.regions(data)
    assert sum(r.length for r in rs) == len(data) and rs[0].fill == 0


def test_columns_ngrams():
    msgs = [b"\x01\x02\x03", b"\x01\x05", b"\x01\x02\x07\x08"]
    cols = ta.columns(msgs)
    assert len(cols) == 4 and cols[0].entropy == 0.0 and cols[0].mode == 1
    assert cols[1].count == 3 and cols[1].distinct == 2 and cols[3].count == 1
    rng = random.Random(2)
    ms = [bytes(rng.randrange(4) for _ in range(rng.randint(0, 30))) for _ in range(20)]
    want = Counter(m[i:i + 2] for m in ms for i in range(len(m) - 1))
    grams, total, distinct = ta.ngrams(ms, 2, top=5)
    assert total == sum(want.values()) and distinct == len(want)
    assert [g.count for g in grams] == sorted(want.values(), reverse=True)[:5]
    assert all(want[g.gram] == g.count for g in grams)


def test_repeats():
    data = b"xxABCDEFyyABCDEFzzABCDEF"
    reps, periods, total = ta.repeats(data, min_length=4, top=3)
    assert reps[0].length == 6 and reps[0].offsets == [2, 10, 18]
    assert periods and periods[0].period == 8


def test_distances_against_python():
    rng = random.Random(3)
    ms = [bytes(rng.randrange(3) for _ in range(rng.randint(0, 12))) for _ in range(15)]
    D = ta.distance_matrix(ms, "levenshtein", threads=2)
    k = 0
    for i in range(len(ms)):
        for j in range(i + 1, len(ms)):
            longer = max(len(ms[i]), len(ms[j]))
            want = levenshtein(ms[i], ms[j]) / longer if longer else 0.0
            assert D[k] == pytest.approx(want), (ms[i], ms[j])
            k += 1
    assert ta.distance(b"abcd", b"abXd", "hamming") == pytest.approx(0.25)
    assert ta.distance(b"ab", b"ab", "jaccard", ngram=1) == 0.0
    al = ta.align(b"ABCD", b"ABD")
    assert al.score == 30 and al.gaps == 1 and -1 in al.b_pos
    S = ta.square(D)
    assert S.shape == (15, 15) and S[0, 1] == D[0] and S[1, 0] == D[0]
    with pytest.raises(ValueError):
        ta.distance(b"a", b"b", "nope")


@pytest.mark.skipif(sch is None, reason="SciPy absent")
def test_linkage_and_cut_against_scipy():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(40, 3))
    D = ta.pdist(X)
    assert np.allclose(D, sp_pdist(X))
    for method in ("single", "complete", "average", "weighted", "ward"):
        Z = ta.linkage(D, method)
        assert np.allclose(Z, sch.linkage(D, method)), method
    Z = ta.linkage(X, "ward", vectors=True)
    assert np.allclose(Z, sch.linkage(X, "ward"))
    labels = ta.cut(Z, k=4)
    ref = sch.fcluster(Z, 4, "maxclust")
    # same partition (trawl numbers from 0 in depth-first order)
    pairs = {(a, b) for a, b in zip(labels, ref)}
    assert len(pairs) == len(set(labels)) == len(set(ref))
    lab_d = ta.cut(Z, distance=float(np.median(Z[:, 2])))
    ref_d = sch.fcluster(Z, float(np.median(Z[:, 2])), "distance")
    assert len({(a, b) for a, b in zip(lab_d, ref_d)}) == len(set(ref_d))


@pytest.mark.skipif(KMeans is None, reason="scikit-learn absent")
def test_kmeans_dbscan_silhouette_against_sklearn():
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal(c, 0.3, size=(50, 2)) for c in ((0, 0), (3, 3), (0, 4))])
    init = X[[0, 60, 120]]
    mine = ta.kmeans(X, 3, init=init)
    ref = KMeans(3, init=init, n_init=1, algorithm="lloyd").fit(X)
    assert (mine.labels == ref.labels_).all()
    assert mine.inertia == pytest.approx(ref.inertia_) and mine.iterations == ref.n_iter_
    D = ta.pdist(X)
    lab = ta.dbscan(D, 0.5, 5)
    ref_l = DBSCAN(eps=0.5, min_samples=5, metric="precomputed").fit(ta.square(D)).labels_
    assert (lab == ref_l).all()
    assert ta.silhouette(D, mine.labels) == pytest.approx(
        silhouette_score(ta.square(D), mine.labels, metric="precomputed"))
    assert ta.silhouette(X, mine.labels, vectors=True) == pytest.approx(
        silhouette_score(X, mine.labels))
    with pytest.raises(ValueError):
        ta.kmeans(X, 0)


def test_consensus_and_features():
    msgs = [b"\x03\x00\x10\x02", b"\x03\x00\x22\x02", b"\x03\x00\x37\x02\xff"]
    c = ta.consensus(msgs)
    assert c.pattern == "{ 03 00 ?? 02 }" and c.fixed == 3 and c.common == 4
    assert ta.consensus(msgs, [0, 1]).members == 2
    F = ta.features(msgs, "length,cols:2")
    assert F.shape == (3, 3) and F[2, 0] == pytest.approx(1.0)
