"""The metrics of one bench/gpu_check.sh run as one JSON object (the evidence pack's metrics).

    python bench/gpu_check_summary.py OUT_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summary(out: Path) -> dict[str, object]:
    bench = json.loads((out / "gpu_train.json").read_text())
    rows = {r["variant"]: r for r in bench["variants"]}
    best = max(rows.values(), key=lambda r: r["tokens_per_sec"])
    mem = json.loads((out / "fused_ce_memory.json").read_text())
    scratch = json.loads((out / "scratch_result.json").read_text())
    curve = [json.loads(line)["train_loss"] for line in (out / "scratch" / "train.jsonl").read_text().splitlines()
             if line.strip()]
    init = json.loads((out / "init_result.json").read_text()) if (out / "init_result.json").is_file() else None
    return {
        "device": best["device"], "preset": bench["preset"], "seq": bench["seq"], "batch": bench["batch"],
        "mfu": best["mfu"], "tokens_per_sec": best["tokens_per_sec"], "best_variant": best["variant"],
        "peak_memory_bytes": best["peak_memory_bytes"],
        "variants": {k: {"tokens_per_sec": v["tokens_per_sec"], "mfu": v["mfu"],
                         "peak_memory_bytes": v["peak_memory_bytes"]} for k, v in rows.items()},
        "memory_ratio": mem["memory_ratio"],
        "scratch_status": scratch["status"], "scratch_kernels": scratch.get("kernels"),
        "scratch_precision": scratch.get("precision"), "loss_curve": curve,
        "init_status": init["status"] if init else None,
        "init_initial_val_loss": init["initial_val_loss"] if init else None,
        "init_final_val_loss": init["final_val_loss"] if init else None,
    }


if __name__ == "__main__":
    print(json.dumps(summary(Path(sys.argv[1])), indent=2))
