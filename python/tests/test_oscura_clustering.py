"""trawl.compat.oscura's clustering functions against Oscura's test cases
(tests/unit/analyzers/patterns/test_clustering.py, v0.9.0) rewritten from
their documented behaviour, and against oracles written here: Oscura's
O(n^3) agglomerative search and its greedy threshold grouping, re-coded
plainly, on random inputs without ties; scikit-learn's KMeans on separated
blobs. DIFFERENCE marks where trawl's documented behaviour is asserted
instead (docs/python-oscura-differences.md)."""

import random

import pytest

from conftest import levenshtein

np = pytest.importorskip("numpy")
from trawl.compat.oscura import (ClusteringResult, ClusterResult, analyze_cluster,  # noqa: E402
                                 cluster_by_edit_distance, cluster_by_hamming,
                                 cluster_hierarchical, compute_distance_matrix,
                                 kmeans_vectorized)


def test_result_records_validate():
    r = ClusterResult(cluster_id=0, patterns=[b"AAA", b"AAB"], centroid=b"AAA", size=2,
                      variance=0.1, common_bytes=[0, 1], variable_bytes=[2])
    assert (r.size, r.common_bytes, r.variable_bytes) == (2, [0, 1], [2])
    with pytest.raises(ValueError, match="cluster_id must be non-negative"):
        ClusterResult(-1, [], b"", 0, 0.0, [], [])
    with pytest.raises(ValueError, match="patterns length must match size"):
        ClusterResult(0, [b"A"], b"A", 2, 0.0, [], [])
    with pytest.raises(ValueError, match="num_clusters must match"):
        ClusteringResult(clusters=[r], labels=np.array([0, 0]), num_clusters=2,
                         silhouette_score=0.0)


def test_cluster_by_hamming_cases():
    r = cluster_by_hamming([])
    assert (r.num_clusters, len(r.labels), r.silhouette_score) == (0, 0, 0.0)
    r = cluster_by_hamming([b"ABCD", b"ABCE", b"ABCF"], threshold=0.3)
    assert r.num_clusters == 1 and list(r.labels) == [0, 0, 0]
    assert r.clusters[0].common_bytes == [0, 1, 2] and r.clusters[0].variable_bytes == [3]
    assert r.clusters[0].centroid == b"ABCD"  # majority: all differ, smallest byte wins
    r = cluster_by_hamming([b"AAAA", b"AAAB", b"BBBB", b"BBBC", b"CCCC"], threshold=0.3)
    assert list(r.labels) == [0, 0, 1, 1, -1] and r.num_clusters == 2
    assert -1 <= r.silhouette_score <= 1
    strict = cluster_by_hamming([b"AAAA", b"AAAB", b"AABB", b"ABBB"], 0.1, 1)
    loose = cluster_by_hamming([b"AAAA", b"AAAB", b"AABB", b"ABBB"], 0.5, 1)
    assert strict.num_clusters >= loose.num_clusters
    r = cluster_by_hamming([b"AAAA", b"BBBB", b"CCCC", b"DDDD"], 0.1, 2)
    assert r.num_clusters == 0 and list(r.labels) == [-1] * 4
    with pytest.raises(ValueError, match="Pattern 1 has length 4, expected 3"):
        cluster_by_hamming([b"AAA", b"BBBB", b"CCC"])
    arr = [np.array([1, 2, 3], dtype=np.uint8), np.array([1, 2, 4], dtype=np.uint8),
           np.array([9, 9, 9], dtype=np.uint8)]
    r = cluster_by_hamming(arr, threshold=0.5)
    assert list(r.labels) == [0, 0, -1] and isinstance(r.clusters[0].centroid, np.ndarray)


def test_cluster_by_edit_distance_cases():
    assert cluster_by_edit_distance([]).num_clusters == 0
    r = cluster_by_edit_distance([b"ABC", b"ABCD", b"ABCDE", b"XYZ"], 0.4, 2)
    assert list(r.labels) == [0, 0, 0, -1]
    r = cluster_by_edit_distance([b"AAAA"] * 3, 0.1, 2)
    assert r.num_clusters == 1 and r.clusters[0].size == 3
    r = cluster_by_edit_distance([b"AAAA", b"AAAA", b"AAAB"], 0.3, 2)
    assert r.clusters[0].centroid == b"AAAA"


def _greedy(S, t, mn):
    n = len(S)
    lab = [-1] * n
    cid = 0
    for i in range(n):
        if lab[i] != -1:
            continue
        mem = [i]
        lab[i] = cid
        for j in range(i + 1, n):
            if lab[j] == -1 and max(S[j][m] for m in mem) <= t:
                mem.append(j)
                lab[j] = cid
        if len(mem) < mn:
            for m in mem:
                lab[m] = -1
        else:
            cid += 1
    return lab


def test_threshold_grouping_and_matrix_against_oracles():
    rng = random.Random(6)
    for _ in range(20):
        pats = [bytes(rng.randrange(3) for _ in range(rng.randint(1, 8))) for _ in range(12)]
        S = compute_distance_matrix(pats, "levenshtein")
        for i in range(12):
            for j in range(12):
                want = levenshtein(pats[i], pats[j]) / max(len(pats[i]), len(pats[j]))
                assert S[i, j] == pytest.approx(want)
        r = cluster_by_edit_distance(pats, 0.4, 2)
        assert list(r.labels) == _greedy(S.tolist(), 0.4, 2)
    J = compute_distance_matrix([b"abc", b"cde", b""], "jaccard")
    assert J[0, 1] == pytest.approx(1 - 1 / 5) and J[2, 2] == 0.0
    with pytest.raises(ValueError, match="Unknown metric"):
        compute_distance_matrix([b"a", b"b"], "cosine")


def test_hamming_length_difference():
    # DIFFERENCE: a length difference counts as differing bytes; Oscura pads
    # the shorter pattern with zero bytes, so b"A" and b"A\x00" were equal.
    S = compute_distance_matrix([b"A", b"A\x00"], "hamming")
    assert S[0, 1] == pytest.approx(0.5)


def _oscura_agglomerative(S, k, method):
    """Oscura's search; None when a merge had a tie (either pair may go)."""
    clusters = [[i] for i in range(len(S))]
    while len(clusters) > k:
        best = (float("inf"), -1, -1)
        ds_all = []
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                ds = [S[a][b] for a in clusters[i] for b in clusters[j]]
                d = {"single": min, "complete": max}.get(method, lambda x: sum(x) / len(x))(ds)
                ds_all.append(d)
                if d < best[0]:
                    best = (d, i, j)
        if sum(1 for d in ds_all if abs(d - best[0]) < 1e-12) > 1:
            return None
        _, i, j = best
        clusters[i].extend(clusters[j])
        del clusters[j]
    return sorted(sorted(c) for c in clusters)


def test_hierarchical_same_partition_as_oscura_search():
    rng = random.Random(8)
    compared = 0
    for _ in range(30):
        base = bytes(rng.randrange(256) for _ in range(64))
        pats = []
        for _ in range(10):
            p = bytearray(base)
            for _ in range(rng.randint(0, 40)):
                p[rng.randrange(64)] = rng.randrange(256)
            pats.append(bytes(p))
        S = compute_distance_matrix(pats, "hamming")
        for method in ("single", "complete", "average"):
            want = _oscura_agglomerative(S.tolist(), 3, method)
            if want is None:
                continue  # a tie: the two searches may break it differently
            r = cluster_hierarchical(pats, method=method, num_clusters=3)
            got = sorted(sorted(int(i) for i in np.flatnonzero(r.labels == c))
                         for c in range(r.num_clusters))
            assert got == want, method
            compared += 1
    assert compared >= 20, compared
    with pytest.raises(ValueError, match="Must specify either"):
        cluster_hierarchical([b"AAA", b"BBB"])
    assert cluster_hierarchical([], num_clusters=2).num_clusters == 0
    r = cluster_hierarchical([b"AAA", b"AAB", b"BBB", b"BBC", b"CCC", b"CCD"], num_clusters=3)
    assert r.num_clusters == 3 and sorted(c.size for c in r.clusters) == [2, 2, 2]
    r = cluster_hierarchical([b"AAA", b"AAB", b"BBB", b"BBC"], distance_threshold=0.4)
    assert r.num_clusters == 2


def test_analyze_cluster():
    c = ClusterResult(0, [b"AXXA", b"AYYA", b"AZZA"], b"AXXA", 3, 0.0, [], [])
    a = analyze_cluster(c)
    assert a["common_bytes"] == [0, 3] and a["variable_bytes"] == [1, 2]
    assert a["consensus"] == b"AXXA" and a["entropy_per_byte"][1] == pytest.approx(np.log2(3))
    assert analyze_cluster(ClusterResult(0, [], b"", 0, 0.0, [], []))["consensus"] == b""


def test_kmeans_vectorized():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.2, size=(100, 3)) for c in (0, 5, 10)])
    labels, centers = kmeans_vectorized(X, 3, random_state=1)
    assert labels.shape == (300,) and centers.shape == (3, 3)
    for g in range(3):  # each blob is one cluster
        assert len(set(labels[g * 100:(g + 1) * 100].tolist())) == 1
    assert len(set(labels.tolist())) == 3
    with pytest.raises(ValueError, match="Expected 2D data array"):
        kmeans_vectorized(np.zeros(5), 2)
    with pytest.raises(ValueError, match="n_clusters must be >= 1"):
        kmeans_vectorized(X, 0)
    with pytest.raises(ValueError, match=r"cannot exceed n_points \(300\)"):
        kmeans_vectorized(X, 301)
