#!/bin/sh
# model_cli.sh TRAWL -- `trawl model`: train twice on the committed fixture
# gives the same bytes (and so do 1 and 2 threads); info, quantize, prune,
# eval and export work on what train wrote; bad input exits 2 naming the
# offset; the usage errors exit 2.
set -u
T=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fails=0
check() { # name want got
    if [ "$2" = "$3" ]; then echo "ok $1"; else echo "FAIL $1: want '$2', got '$3'"; fails=$((fails + 1)); fi
}
fx=tests/data/prompts/permissive_fixture.jsonl
small="--buckets 1024 --hidden 8 --epochs 2"
"$T" model train $small --threads 2 "$fx" "$dir/a.tmodel" >"$dir/train.out" || fails=$((fails + 1))
"$T" model train $small --threads 2 "$fx" "$dir/b.tmodel" >/dev/null
"$T" model train $small --threads 1 "$fx" "$dir/c.tmodel" >/dev/null
cmp -s "$dir/a.tmodel" "$dir/b.tmodel"; check same-bytes-twice 0 $?
cmp -s "$dir/a.tmodel" "$dir/c.tmodel"; check same-bytes-1-and-2-threads 0 $?
check train-split "fit 120 rows (70 benign, 50 injection)" "$(sed -n 1p "$dir/train.out")"
"$T" model info "$dir/a.tmodel" >"$dir/info" ; check info-rc 0 $?
grep -q "table       1024 buckets x 8, f32, 1024 rows stored" "$dir/info"; check info-table 0 $?
"$T" model quantize --format int8 "$dir/a.tmodel" "$dir/q.tmodel" >/dev/null; check quantize 0 $?
"$T" model prune --ratio 0.5 --format int4 "$dir/a.tmodel" "$dir/p.tmodel" >/dev/null; check prune 0 $?
grep -q "int4, row-pruned (bitmap + rank), 512 rows stored" <<EOT
$("$T" model info "$dir/p.tmodel")
EOT
check prune-info 0 $?
"$T" model eval --per-source "$dir/q.tmodel" "$fx" >"$dir/eval"; check eval-rc 0 $?
grep -q "^  gsm8k_questions .* 30 " "$dir/eval"; check eval-per-source 0 $?
"$T" model export "$dir/q.tmodel" "$dir/q.onnx"; check export-rc 0 $?
# errors: exit 2, the offset named
printf 'TRMDxxxx' >"$dir/bad.tmodel"
"$T" model info "$dir/bad.tmodel" 2>"$dir/err"; check bad-rc 2 $?
grep -q "truncated header: 8 of 128 bytes at offset 8" "$dir/err"; check bad-offset 0 $?
"$T" model quantize "$dir/a.tmodel" "$dir/x" 2>/dev/null; check no-format 2 $?
"$T" model train --hidden 0 "$fx" "$dir/x" 2>/dev/null; check bad-hidden 2 $?
"$T" model export "$dir/p.tmodel" "$dir/x.onnx" 2>"$dir/err"; check sparse-export 2 $?
printf '{"text": 3}\n' >"$dir/bad.jsonl"
"$T" model train "$dir/bad.jsonl" "$dir/x" 2>"$dir/err"; check bad-row 2 $?
grep -q "bad.jsonl:1: expected" "$dir/err"; check bad-row-line 0 $?
[ $fails -eq 0 ] || { echo "model_cli: $fails failed"; exit 1; }
echo "model_cli: ok"
