"""Real-weight idempotency of the init path: SmolLM2-135M `--init --num-steps 0`, twice.

    .venv/bin/pv evidence record --name smollm2-init-num-steps-0-twice \\
        --falsifier FALSIFY-APR-PRETRAIN-INIT-010 --falsifier FALSIFY-APR-PRETRAIN-INIT-009 \\
        --metrics runs/live-idem/compare.json -- .venv/bin/python bench/live_init_idempotent.py

Both runs: same GGUF, tokenizer, shards and seed. Recorded: the sha256 and size
of each epoch-000.apr (byte_identical = 1 when equal), and how many tensors in
each step-0 optimizer-state file are Adam moments (0: the optimizer starts
fresh; only weights come from the init). Needs runs/live-init/{tok,train,val}
from bench/live_init_run.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from trainer.hashing import file_sha256

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "runs" / "live-init"
OUT = REPO / "runs" / "live-idem"


def main() -> int:
    from safetensors import safe_open

    sys.path.insert(0, str(REPO / "bench"))
    from live_init_run import smollm2_gguf

    for needed in ("tok", "train", "val"):
        if not (DATA / needed).exists():
            raise SystemExit(f"{DATA / needed} missing: run bench/live_init_run.py first")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    gguf = smollm2_gguf()
    runs = {}
    for name in ("run1", "run2"):
        argv = [sys.executable, "-m", "trainer", "pretrain", "--init", str(gguf), "--dataset", str(DATA / "train"),
                "--val-shard", str(DATA / "val"), "--tokenizer", str(DATA / "tok"), "--run-dir", str(OUT / name),
                "--num-steps", "0", "--batch-size", "2", "--seq-length", "128", "--val-batches", "2", "--seed", "42",
                "--device", "cpu", "--no-progress"]
        print("$", " ".join(argv), flush=True)
        rc = subprocess.run(argv, cwd=REPO, check=False).returncode
        if rc != 0:
            return rc
        ckpt = OUT / name / "ckpt" / "epoch-000.apr"
        with safe_open(str(OUT / name / "ckpt" / "epoch-000.optim.safetensors"), "pt") as f:
            keys = list(f.keys())
        result = json.loads((OUT / name / "result.json").read_text())
        runs[name] = {
            "sha256": file_sha256(ckpt),
            "bytes": ckpt.stat().st_size,
            "adam_moment_tensors": sum(1 for k in keys if "exp_avg" in k),
            "optimizer_state_keys": keys,
            "initial_val_loss": result["initial_val_loss"],
            "status": result["status"],
        }
    compare = {
        "runs": runs,
        "byte_identical": int(runs["run1"]["sha256"] == runs["run2"]["sha256"]),
        "adam_moment_tensors_at_step0": max(r["adam_moment_tensors"] for r in runs.values()),
        "initial_val_loss_equal": int(runs["run1"]["initial_val_loss"] == runs["run2"]["initial_val_loss"]),
    }
    (OUT / "compare.json").write_text(json.dumps(compare, indent=2, sort_keys=True) + "\n")
    print(json.dumps(compare, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
