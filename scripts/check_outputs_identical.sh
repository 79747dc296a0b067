#!/usr/bin/env bash
# Captures what users see from pv and apr (stdout, stderr, exit code) so a refactor can prove it
# changed nothing:  scripts/check_outputs_identical.sh OUT_DIR   (then `diff -r BEFORE AFTER`).
# Masked as volatile, nothing else: timings ("[14 ms]", "in 0.12s", JSON "ms", JUnit time=), the temp path
# and the HEAD commit the version-bump gate compares against (each commit moves it).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/check_outputs_identical.sh OUT_DIR}
mkdir -p "$out"
py=${PYTHON:-.venv/bin/python}
export PYTHONPATH=$PWD/src COLUMNS=120 NO_COLOR=1 PV_NO_CACHE=1
tmp=$(mktemp -d)
n=0
cap() {  # cap NAME CMD...: one file per command, exit code last
  local name=$1; shift
  n=$((n + 1))
  { "$@" 2>&1; echo "exit=$?"; } | sed -E -e 's/\[[0-9]+ ms\]/[N ms]/g' -e 's/[0-9]+(\.[0-9]+)? ?(ms|s)\b/T/g' \
      -e 's/"(ms|seconds|duration_s|elapsed_s)": [0-9.e-]+/"\1": N/g' \
      -e 's/time="[0-9.]+"/time="N"/g' -e 's/HEAD \([0-9a-f]{12}\)/HEAD (REV)/g' \
      -e 's/"base": "[0-9a-f]{40}"/"base": "REV"/g' -e 's/[0-9,]+ tokens\/s/N tokens\/s/g' -e "s#$tmp#TMP#g" > "$out/$(printf %02d $n)-$name.txt"
}
fixtures="tests/fixtures/seed tests/fixtures/registries/rustpv tests/fixtures/validate"
cap pv-help "$py" -m pv --help
for c in validate lint schema run falsify status report evidence diff graph audit coverage; do
  cap "pv-$c-help" "$py" -m pv "$c" --help
done
cap validate-contracts "$py" -m pv validate contracts/
for f in $fixtures; do cap "validate-${f//\//_}" "$py" -m pv validate "$f"; done
for fmt in text json sarif github junit; do
  cap "lint-$fmt" "$py" -m pv lint --strict-test-binding --no-cache --format "$fmt" contracts/
  cap "lint-seed-$fmt" "$py" -m pv lint --no-cache --format "$fmt" tests/fixtures/seed
done
for fmt in text json markdown; do cap "status-$fmt" "$py" -m pv status --format "$fmt" contracts/; done
cap evidence-verify "$py" -m pv evidence verify evidence/*/
cap audit "$py" -m pv audit contracts/
cap coverage "$py" -m pv coverage contracts/
cap graph "$py" -m pv graph contracts/
cap apr-help "$py" -m trainer --help
for c in pretrain tokenize convert inspect generate demo; do cap "apr-$c-help" "$py" -m trainer "$c" --help; done
cap apr-refuse-missing "$py" -m trainer pretrain --dataset "$tmp/none" --tokenizer "$tmp/none" --run-dir "$tmp/run" --model tiny
cap apr-inspect-missing "$py" -m trainer inspect "$tmp/none.apr"
# A tiny training run end to end on a corpus that does not move with the tree (the interpreter's own
# json package): tokenizer, shards, 4 steps over 2 epochs, then the same command with --resume.
corpus=$("$py" -c 'import json, os; print(os.path.dirname(json.__file__))')
cap apr-tokenize-train "$py" -m trainer tokenize train --input "$corpus" --vocab-size 300 --out "$tmp/tok" --quiet
cap apr-encode-corpus "$py" -m trainer tokenize encode-corpus --tokenizer "$tmp/tok" --input "$corpus" \
    --out "$tmp/ds" --quiet
tiny=(--mode from-scratch --model tiny --vocab-size 300 --dataset "$tmp/ds" --tokenizer "$tmp/tok" --batch-size 2
      --seq-length 32 --steps-per-epoch 2 --no-progress --device cpu --run-dir "$tmp/run")
cap apr-pretrain-tiny "$py" -m trainer pretrain "${tiny[@]}" --num-steps 4
cap apr-pretrain-tiny-resume "$py" -m trainer pretrain "${tiny[@]}" --num-steps 4 --resume
cap apr-pretrain-tiny-losses "$py" -c 'import json, sys
r = json.load(open(sys.argv[1] + "/result.json"))
steps = [json.loads(line) for line in open(sys.argv[1] + "/train.jsonl")]
print(r["status"], r["detail"], r["epochs_completed"], r["steps_completed"], r["tokens_seen"])
print("val", r["val_loss_history"])
print("train", [(s["step"], s["train_loss"], s["grad_norm"], s["lr"]) for s in steps])' "$tmp/run"
rm -rf "$tmp"
echo "captured $n outputs in $out"
