// onnx_run.js MODEL.onnx FEATURES.bin N THRESHOLD EXACT -- runs a graph
// written by `trawl model export` in ONNX Runtime (npm onnxruntime-node) on
// the N feature vectors of FEATURES.bin and compares with trawl's p stored
// after them: |dp| <= 1e-4 when EXACT is 1, the same decisions at
// THRESHOLD either way. Exit 0 ok, 1 mismatch.
const fs = require('fs');
const ort = require('onnxruntime-node');
const [path, feats, nStr, thrStr, exact] = process.argv.slice(2);
const n = Number(nStr), thr = Number(thrStr);
(async () => {
  const s = await ort.InferenceSession.create(path);
  const buf = fs.readFileSync(feats);
  const dim = (buf.length - 8 * n) / (4 * n);
  const x = new Float32Array(buf.buffer, buf.byteOffset, n * dim);
  const pt = new Float64Array(buf.buffer.slice(buf.byteOffset + 4 * n * dim, buf.byteOffset + buf.length));
  let maxd = 0, same = 0;
  const B = 100;
  for (let r0 = 0; r0 < n; r0 += B) {
    const k = Math.min(B, n - r0);
    const t = new ort.Tensor('float32', x.slice(r0 * dim, (r0 + k) * dim), [k, dim]);
    const out = await s.run({ x: t });
    const p = out.p.data;
    for (let i = 0; i < k; i++) {
      maxd = Math.max(maxd, Math.abs(p[i] - pt[r0 + i]));
      same += (p[i] >= thr) === (pt[r0 + i] >= thr);
    }
  }
  console.log(`onnxruntime-node ${ort.env.versions.common}: ${n} vectors, max |dp| ${maxd.toExponential(3)}, decisions equal ${same}/${n}`);
  process.exit(same === n && (exact !== '1' || maxd <= 1e-4) ? 0 : 1);
})().catch((e) => { console.error(e); process.exit(1); });
