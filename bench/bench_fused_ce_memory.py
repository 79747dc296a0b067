"""Peak memory of the chunked linear cross-entropy vs materialised logits + F.cross_entropy.

Forward + backward of CE(hidden @ weight.T, targets) at a Qwen-sized vocab
(151,936 ids), 4,096 tokens, hidden 896, fp32. Each variant runs in its own
child process; the figure is the child's peak RSS (ru_maxrss) minus its RSS
after the inputs were allocated and touched, i.e. what the loss and its
gradients added. On a CUDA device (``--device cuda``) it is
``torch.cuda.max_memory_allocated`` above the inputs instead, and the chunked
variant uses the Triton row kernel.

    PYTHONPATH=src python bench/bench_fused_ce_memory.py [--tokens 4096 --vocab 151936 --hidden 896]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        import os

        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child(variant: str, tokens: int, vocab: int, hidden: int, device: str) -> dict[str, float]:
    import resource
    import time

    import torch

    from trainer.kernels.fused_ce import fused_linear_cross_entropy, linear_cross_entropy_reference

    torch.set_num_threads(2)
    g = torch.Generator().manual_seed(0)
    h = torch.randn(tokens, hidden, generator=g).to(device).requires_grad_(True)
    w = (torch.randn(vocab, hidden, generator=g) * 0.02).to(device).requires_grad_(True)
    t = torch.randint(0, vocab, (tokens,), generator=g).to(device)
    if device == "cpu":
        base = _rss_bytes()
    else:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    t0 = time.perf_counter()
    if variant == "materialised":
        loss = linear_cross_entropy_reference(h, w, t)
    else:
        loss = fused_linear_cross_entropy(h, w, t, impl="torch" if device == "cpu" else "triton")
    loss.backward()
    if device == "cpu":
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    else:
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
    return {"peak_extra_bytes": float(peak), "seconds": time.perf_counter() - t0, "loss": float(loss)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokens", type=int, default=4096)
    p.add_argument("--vocab", type=int, default=151_936)
    p.add_argument("--hidden", type=int, default=896)
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", type=str, default=None, help="also write the figures to this file")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.tokens, a.vocab, a.hidden, a.device)))
        return 0
    out: dict[str, object] = {"tokens": a.tokens, "vocab": a.vocab, "hidden": a.hidden, "device": a.device}
    for variant in ("materialised", "chunked"):
        cmd = [sys.executable, __file__, "--child", variant, "--tokens", str(a.tokens), "--vocab", str(a.vocab),
               "--hidden", str(a.hidden), "--device", a.device]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out[variant] = json.loads(res.stdout.strip().splitlines()[-1])
    mat, chk = out["materialised"], out["chunked"]  # type: ignore[index]
    ratio = chk["peak_extra_bytes"] / mat["peak_extra_bytes"]  # type: ignore[index]
    out["memory_ratio"] = ratio
    logits_gb = a.tokens * a.vocab * 4 / 1e9
    print(f"linear CE fwd+bwd, {a.tokens} tokens x vocab {a.vocab} x hidden {a.hidden}, fp32, {a.device} "
          f"(one fp32 logits copy = {logits_gb:.2f} GB)")
    for name in ("materialised", "chunked"):
        r = out[name]  # type: ignore[index]
        print(f"  {name:13s} peak extra {r['peak_extra_bytes'] / 1e9:7.3f} GB  {r['seconds']:6.1f} s  loss {r['loss']:.6f}")
    print(f"  ratio chunked / materialised = {ratio:.3f} (1/{1 / ratio:.1f}); loss diff "
          f"{abs(mat['loss'] - chk['loss']):.2e}")  # type: ignore[index]
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
