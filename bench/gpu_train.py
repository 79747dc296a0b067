"""Training throughput, MFU and peak memory: torch kernels vs Triton kernels vs Triton + --compile.

MFU = tokens/s x FLOPs/token / device peak, with FLOPs/token = 6N + 12*L*d*T
(N = stored parameters, the tied head counted once as it is a matmul; L
layers, d hidden, T sequence; the attention term of Kaplan/PaLM). Peaks are
dense bf16 tensor-core figures: H100 and H200 989 TFLOP/s, A100 312. On a
device not in the table, and on the CPU, MFU is reported as null.

Each variant builds the model through ``trainer.train.builder`` (the trainer's
one builder) and steps through ``trainer.train.loop.train_step`` with the
run's default precision (bf16 autocast on CUDA, fp32 on CPU), on random
tokens, ``--warmup`` untimed steps first (compile happens there).

    PYTHONPATH=src python bench/gpu_train.py --preset llama-370m --seq 2048 --batch 8      # on a GPU
    PYTHONPATH=src TRITON_INTERPRET=1 python bench/gpu_train.py --preset tiny --seq 32 --batch 2 --steps 2 \\
        --variants torch,triton --device cpu                                               # CPU smoke run
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}
VARIANTS = ("torch", "triton", "compile")


def peak_flops(device_name: str) -> float | None:
    """The dense bf16 peak of the named device, or None when it is not in the table."""
    for key, value in PEAK_BF16_FLOPS.items():
        if key in device_name.upper():
            return value
    return None


def flops_per_token(n_params: int, layers: int, hidden: int, seq: int) -> float:
    return 6.0 * n_params + 12.0 * layers * hidden * seq


def run_variant(variant: str, preset: str, seq: int, batch: int, steps: int, warmup: int,
                device: str) -> dict[str, object]:
    import torch

    from trainer.model import make_optimizer
    from trainer.presets import get_preset
    from trainer.train.builder import build_training_model, maybe_compile, resolve_compute
    from trainer.train.loop import train_step

    config = get_preset(preset)
    kernels = "torch" if variant == "torch" else "triton"
    compute = resolve_compute(kernels, None, variant == "compile", device)
    model, _ = build_training_model(config, seed=0, device=device, kernels=compute.kernels)
    step_model = maybe_compile(model, compute.compile)
    opt = make_optimizer(model, 3e-4, 0.01)
    g = torch.Generator().manual_seed(1)
    batches = [torch.randint(0, config.vocab_size, (batch, seq + 1), generator=g) for _ in range(warmup + steps)]
    cuda = device.startswith("cuda")
    losses: list[float] = []
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = 0.0
    for i, b in enumerate(batches):
        if i == warmup:
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        b = b.to(device)
        loss, _ = train_step(step_model, opt, [(b[:, :-1], b[:, 1:])], step=i, lr=3e-4, precision=compute.precision)
        losses.append(loss)
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    tps = batch * seq * steps / seconds
    n_params = sum(p.numel() for p in model.parameters())
    fpt = flops_per_token(n_params, config.num_layers, config.hidden_size, seq)
    name = torch.cuda.get_device_name(torch.device(device)) if cuda else "cpu"
    peak = peak_flops(name) if cuda else None
    return {
        "variant": variant, "kernels": compute.kernels.name, "precision": compute.precision,
        "compile": compute.compile, "device": name, "tokens_per_sec": tps, "flops_per_token": fpt,
        "mfu": tps * fpt / peak if peak else None,
        "peak_memory_bytes": torch.cuda.max_memory_allocated() if cuda else None,
        "step_seconds": seconds / steps, "losses": losses, "params": n_params,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="llama-370m")
    p.add_argument("--seq", type=int, default=2048)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--device", default="auto")
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    a = p.parse_args()
    import torch

    device = ("cuda:0" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    variants = [v.strip() for v in a.variants.split(",") if v.strip()]
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        print(f"gpu_train: unknown variant(s) {bad}; use {', '.join(VARIANTS)}", file=sys.stderr)
        return 2
    rows = []
    for v in variants:
        row = run_variant(v, a.preset, a.seq, a.batch, a.steps, a.warmup, device)
        rows.append(row)
        mfu = f"{row['mfu']:.1%}" if row["mfu"] is not None else "n/a"
        mem = f"{row['peak_memory_bytes'] / 2**30:.2f} GiB" if row["peak_memory_bytes"] is not None else "n/a"
        print(f"{v:8s} {row['kernels']:6s} {row['precision']} {row['device']}: {row['tokens_per_sec']:,.0f} tok/s  "
              f"MFU {mfu}  peak {mem}  step {row['step_seconds'] * 1e3:.1f} ms  loss {row['losses'][-1]:.4f}")
        sys.stdout.flush()
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"preset": a.preset, "seq": a.seq, "batch": a.batch, "steps": a.steps,
                                      "variants": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
