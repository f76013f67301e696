#!/usr/bin/python3
# onnx_check.py MODEL.onnx FEATURES.bin N THRESHOLD EXACT -- checks a graph
# written by `trawl model export` with onnx.checker, then evaluates it with
# NumPy (an independent reference of the graph's operators, read from the
# ONNX file itself) on the N feature vectors of FEATURES.bin and compares
# with trawl's p stored after them: |dp| <= 1e-4 when EXACT is 1, the same
# decisions at THRESHOLD either way. Exit 0 ok, 1 mismatch, 77 no onnx.
import sys
try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as e:
    print("SKIP onnx_check: %s (apt-get install python3-onnx)" % e)
    sys.exit(77)

path, feats, n, thr, exact = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5] == "1"
m = onnx.load(path)
onnx.checker.check_model(m, full_check=True)
init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
dim = m.graph.input[0].type.tensor_type.shape.dim[1].dim_value
raw = np.fromfile(feats, dtype=np.uint8)
x = raw[: n * dim * 4].view(np.float32).reshape(n, dim).astype(np.float64)
p_trawl = raw[n * dim * 4 :].view(np.float64)
env = dict(init, x=x)
for node in m.graph.node:
    a = [env[i] for i in node.input]
    attrs = {at.name: at.i for at in node.attribute}
    op = node.op_type
    if op == "DequantizeLinear":
        ax = attrs.get("axis", 1)
        shape = [1] * a[0].ndim
        shape[ax] = -1
        y = (a[0].astype(np.float64) - a[2].astype(np.float64).reshape(shape)) * a[1].astype(np.float64).reshape(shape)
    elif op == "Concat":
        y = np.concatenate(a, axis=attrs["axis"])
    elif op == "MatMul":
        y = a[0] @ a[1].astype(np.float64)
    elif op == "Add":
        y = a[0] + a[1]
    elif op == "Mul":
        y = a[0] * a[1]
    elif op == "Relu":
        y = np.maximum(a[0], 0)
    elif op == "Sigmoid":
        y = 1 / (1 + np.exp(-a[0]))
    else:
        print("unknown op", op)
        sys.exit(1)
    env[node.output[0]] = y
p = env["p"].reshape(-1)
d = np.abs(p - p_trawl)
same = int(((p >= thr) == (p_trawl >= thr)).sum())
print("onnx.checker: ok; numpy reference on %d vectors: max |dp| %.3g, decisions equal %d/%d" % (n, d.max(), same, n))
ok = same == n and (not exact or d.max() <= 1e-4)
sys.exit(0 if ok else 1)
