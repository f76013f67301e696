#!/usr/bin/python3
# oracle.py -- SciPy and scikit-learn as oracles for the analyze tests.
# usage: oracle.py DIR   (DIR/manifest: one job per line, files relative to DIR)
#   linkage METHOD N IN OUT            IN: condensed float64; OUT: Z float64 (n-1) x 4
#   linkage_vec METHOD N D IN OUT      IN: X float64 n x d
#   fcluster_k N K IN OUT              IN: Z; OUT: int32 labels (SciPy's - 1)
#   fcluster_t N T IN OUT
#   kmeans N D K ITER TOL IN INIT OUT  OUT: float64 inertia, float64 n_iter, int32 labels
#   silhouette N IN LABELS OUT         IN: condensed float64, LABELS int32; OUT: float64
#   silhouette_vec N D IN LABELS OUT   IN: X float64
#   dbscan N EPS MIN IN OUT            IN: condensed float64; OUT: int32 labels
#   vmeasure N TRUE PRED OUT           int32 labels; OUT: float64 h, c, v
#   chi2sf X DOF OUT                   OUT: float64
# Exit 3 when SciPy or scikit-learn cannot be imported (the C test skips).
import os, sys
try:
    import numpy as np
    from scipy.cluster.hierarchy import linkage, fcluster
    from scipy.spatial.distance import squareform
    from scipy.stats import chi2
    from sklearn.cluster import KMeans, DBSCAN
    from sklearn.metrics import silhouette_score, homogeneity_completeness_v_measure
except Exception as e:  # noqa: BLE001
    print("oracle.py: %s" % e, file=sys.stderr)
    sys.exit(3)

d = sys.argv[1]
P = lambda f: os.path.join(d, f)
for line in open(P("manifest")):
    a = line.split()
    if not a:
        continue
    op = a[0]
    if op == "linkage":
        y = np.fromfile(P(a[3]), dtype="<f8")
        linkage(y, a[1]).astype("<f8").tofile(P(a[4]))
    elif op == "linkage_vec":
        n, dim = int(a[2]), int(a[3])
        X = np.fromfile(P(a[4]), dtype="<f8").reshape(n, dim)
        linkage(X, a[1]).astype("<f8").tofile(P(a[5]))
    elif op in ("fcluster_k", "fcluster_t"):
        n = int(a[1])
        Z = np.fromfile(P(a[3]), dtype="<f8").reshape(n - 1, 4)
        if op == "fcluster_k":
            t = fcluster(Z, int(a[2]), "maxclust")
        else:
            t = fcluster(Z, float(a[2]), "distance")
        (t - 1).astype("<i4").tofile(P(a[4]))
    elif op == "kmeans":
        n, dim, k, it, tol = int(a[1]), int(a[2]), int(a[3]), int(a[4]), float(a[5])
        X = np.fromfile(P(a[6]), dtype="<f8").reshape(n, dim)
        C = np.fromfile(P(a[7]), dtype="<f8").reshape(k, dim)
        km = KMeans(n_clusters=k, init=C, n_init=1, max_iter=it, tol=tol,
                    algorithm="lloyd").fit(X)
        with open(P(a[8]), "wb") as f:
            np.array([km.inertia_, km.n_iter_], dtype="<f8").tofile(f)
            km.labels_.astype("<i4").tofile(f)
    elif op == "silhouette":
        n = int(a[1])
        D = squareform(np.fromfile(P(a[2]), dtype="<f8"))
        lab = np.fromfile(P(a[3]), dtype="<i4")
        np.array([silhouette_score(D, lab, metric="precomputed")], dtype="<f8").tofile(P(a[4]))
    elif op == "silhouette_vec":
        n, dim = int(a[1]), int(a[2])
        X = np.fromfile(P(a[3]), dtype="<f8").reshape(n, dim)
        lab = np.fromfile(P(a[4]), dtype="<i4")
        np.array([silhouette_score(X, lab)], dtype="<f8").tofile(P(a[5]))
    elif op == "dbscan":
        D = squareform(np.fromfile(P(a[4]), dtype="<f8"))
        lab = DBSCAN(eps=float(a[2]), min_samples=int(a[3]), metric="precomputed").fit(D).labels_
        lab.astype("<i4").tofile(P(a[5]))
    elif op == "vmeasure":
        t = np.fromfile(P(a[2]), dtype="<i4")
        p = np.fromfile(P(a[3]), dtype="<i4")
        np.array(homogeneity_completeness_v_measure(t, p), dtype="<f8").tofile(P(a[4]))
    elif op == "chi2sf":
        np.array([chi2.sf(float(a[1]), int(a[2]))], dtype="<f8").tofile(P(a[3]))
    else:
        print("oracle.py: unknown job %s" % op, file=sys.stderr)
        sys.exit(2)
