#!/bin/sh
# model_onnx.sh TRAWL -- the ONNX round trip of the shipped model: `trawl
# model export` writes fp32 and int8 graphs; Debian's onnx.checker accepts
# them, a NumPy evaluation of the graph and ONNX Runtime (npm
# onnxruntime-node, installed by scripts/deps.sh into $TRAWL_NODE_DIR) give
# trawl's p within 1e-4 (fp32) and the same decisions (int8) on the feature
# vectors of 1,000 prompts (train.jsonl when ../shared/data is there, else
# the committed fixture's 150). A missing checker or runtime is a skip,
# said so, not a pass.
set -u
T=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
data=../shared/data/prompts/train.jsonl
if [ -f "$data" ]; then
    head -n 1000 "$data" >"$dir/rows.jsonl"
else
    echo "model_onnx: ../shared/data absent: using the fixture's 150 prompts"
    cp tests/data/prompts/permissive_fixture.jsonl "$dir/rows.jsonl"
fi
n=$(wc -l <"$dir/rows.jsonl")
node_dir=${TRAWL_NODE_DIR:-/opt/trawl/node}
thr=$("$T" model info models/prompt_injection.tmodel | sed -n 's/.*threshold \([0-9.]*\);.*/\1/p')
"$T" model prune --ratio 0 --format f32 models/prompt_injection.tmodel "$dir/f32.tmodel" >/dev/null || fails=$((fails + 1))
for form in f32 int8; do
    src=$dir/f32.tmodel
    [ $form = int8 ] && src=models/prompt_injection.tmodel
    exact=1
    [ $form = int8 ] && exact=0
    "$T" model export --features "$dir/rows.jsonl" "$dir/$form.bin" "$src" "$dir/$form.onnx" >/dev/null ||
        { echo "FAIL export $form"; fails=$((fails + 1)); continue; }
    /usr/bin/python3 tests/model/onnx_check.py "$dir/$form.onnx" "$dir/$form.bin" "$n" "$thr" $exact
    rc=$?
    if [ $rc -eq 77 ]; then echo "SKIP checker ($form)"; elif [ $rc -ne 0 ]; then echo "FAIL checker $form"; fails=$((fails + 1)); fi
    if [ -d "$node_dir/node_modules/onnxruntime-node" ]; then
        NODE_PATH=$node_dir/node_modules node tests/model/onnx_run.js "$dir/$form.onnx" "$dir/$form.bin" "$n" "$thr" $exact ||
            { echo "FAIL onnxruntime $form"; fails=$((fails + 1)); }
    else
        echo "SKIP onnxruntime ($form): $node_dir/node_modules/onnxruntime-node absent (scripts/deps.sh installs it)"
    fi
done
# sparse and int4 models are refused, saying why
"$T" model quantize --format int4 models/prompt_injection.tmodel "$dir/i4.tmodel" >/dev/null
if "$T" model export "$dir/i4.tmodel" "$dir/i4.onnx" 2>"$dir/err"; then
    echo "FAIL int4 export should be refused"; fails=$((fails + 1))
fi
grep -q "ONNX export takes f32 and int8" "$dir/err" || { echo "FAIL int4 message"; fails=$((fails + 1)); }
[ $fails -eq 0 ] || { echo "model_onnx: $fails failed"; exit 1; }
echo "model_onnx: ok"
