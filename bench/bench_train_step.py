"""Training-step throughput on CPU: our LlamaForCausalLM vs transformers', same config, same weights.

One step = forward, cross-entropy, backward, AdamW step, zero_grad. Variants run
*interleaved* in one process (round-robin repetitions), so machine load shared
with other jobs hits every variant alike; the reported number per variant is the
median over repetitions of the mean step time within a repetition.

Peak memory is measured separately, one fresh subprocess per variant: the
process's peak resident set during the steps (VmHWM after a reset), minus the
resident set before the first step (imports, model, weights, batch already
resident). The delta is the memory a training step
needs on top of the model: activations, gradients, optimizer state, allocator
slack. tracemalloc cannot see torch's allocations, hence RSS (VmHWM; see memory_child).

    .venv/bin/python bench/bench_train_step.py                  # ~15M params, seq 256, batch 8
    .venv/bin/python bench/bench_train_step.py --compile        # also time torch.compile (compile time apart)
    .venv/bin/python bench/bench_train_step.py --out bench/results/train_step.md
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from trainer.checkpoint.arch import to_hf_config
from trainer.config import ModelConfig
from trainer.model import LlamaForCausalLM, autocast, count_parameters, make_optimizer
from trainer.presets import get_preset

VARIANTS = ("hf", "hf+fused", "ours-foreach", "ours", "hf+bf16", "ours+bf16", "ours+compile")


def _hf_model(config: ModelConfig) -> torch.nn.Module:
    from transformers import AutoConfig, AutoModelForCausalLM

    hf_config = AutoConfig.for_model(**to_hf_config(config))
    return AutoModelForCausalLM.from_config(hf_config, attn_implementation="sdpa", dtype=torch.float32)


def build(variant: str, config: ModelConfig, seed: int, lr: float = 3e-4, wd: float = 0.1):  # type: ignore[no-untyped-def]
    """(step_fn, compile_seconds) for one variant; all variants start from identical weights."""
    torch.manual_seed(seed)
    ours = LlamaForCausalLM(config)
    if variant.startswith("hf"):
        model = _hf_model(config)
        missing = model.load_state_dict(ours.state_dict(), strict=False).missing_keys
        assert missing in ([], ["lm_head.weight"]), missing
        model.tie_weights()
        del ours

        def logits_of(x: torch.Tensor) -> torch.Tensor:
            return model(input_ids=x, use_cache=False).logits

        if variant in ("hf+fused",):
            opt = make_optimizer(model, lr, wd)
        else:  # what a plain transformers training loop does: default (foreach) AdamW, same groups
            decay = [p for p in model.parameters() if p.dim() >= 2]
            rest = [p for p in model.parameters() if p.dim() < 2]
            opt = torch.optim.AdamW(
                [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}],
                lr=lr,
                betas=(0.9, 0.95),
            )
    else:
        model = ours
        logits_of = model
        if variant == "ours-foreach":
            decay = [p for p in model.parameters() if p.dim() >= 2]
            rest = [p for p in model.parameters() if p.dim() < 2]
            opt = torch.optim.AdamW(
                [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}],
                lr=lr,
                betas=(0.9, 0.95),
                foreach=True,
            )
        else:
            opt = make_optimizer(model, lr, wd)
    model.train()

    precision = "bf16" if variant.endswith("+bf16") else "fp32"

    def loss_of(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with autocast("cpu", precision):
            logits = logits_of(x)
        return F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))

    compile_s = 0.0
    if variant.endswith("+compile"):
        loss_of = torch.compile(loss_of)

    def step(x: torch.Tensor, y: torch.Tensor) -> float:
        loss = loss_of(x, y)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(loss.detach())

    return step, compile_s


def batch(config: ModelConfig, bsz: int, seq: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, config.vocab_size, (bsz, seq + 1), generator=g)
    return ids[:, :-1].contiguous(), ids[:, 1:].contiguous()


def time_variants(args: argparse.Namespace, config: ModelConfig) -> dict[str, dict[str, float]]:
    x, y = batch(config, args.batch, args.seq, args.seed)
    steps: dict[str, Callable[[torch.Tensor, torch.Tensor], float]] = {}
    info: dict[str, dict[str, float]] = {}
    for v in args.variants:
        step, _ = build(v, config, args.seed)
        t0 = time.perf_counter()
        first = step(x, y)  # warm-up (and, for +compile, compilation)
        first_s = time.perf_counter() - t0
        for _ in range(args.warmup - 1):
            step(x, y)
        steps[v] = step
        info[v] = {"first_step_s": first_s, "first_loss": first}
        print(f"  built {v}: first step {first_s:.2f}s, loss {first:.4f}", file=sys.stderr, flush=True)
    samples: dict[str, list[float]] = {v: [] for v in steps}
    cpu: dict[str, list[float]] = {v: [] for v in steps}
    for rep in range(args.reps):
        for v, step in steps.items():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(args.steps):
                step(x, y)
            samples[v].append((time.perf_counter() - t0) / args.steps)
            cpu[v].append((time.process_time() - c0) / args.steps)
        print(
            f"  rep {rep + 1}/{args.reps}: "
            + ", ".join(f"{v} {samples[v][-1]:.3f}s wall {cpu[v][-1]:.3f}s cpu" for v in steps),
            file=sys.stderr,
            flush=True,
        )
    tokens = args.batch * args.seq
    for v, s in samples.items():
        med = statistics.median(s)
        info[v].update(
            median_step_s=med,
            min_step_s=min(s),
            max_step_s=max(s),
            tokens_per_s=tokens / med,
            median_cpu_s=statistics.median(cpu[v]),
            min_cpu_s=min(cpu[v]),
            max_cpu_s=max(cpu[v]),
        )
    return info


def _vm_kib(field: str) -> int:
    """A /proc/self/status field in KiB (VmRSS: now, VmHWM: peak since exec or the last reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def memory_child(args: argparse.Namespace, config: ModelConfig, variant: str) -> dict[str, float]:
    """Runs in a fresh subprocess (Linux): resident memory before vs peak during the training steps.

    ``ru_maxrss`` is useless here: Linux carries it across fork+exec, so a child
    reports its parent's peak. VmHWM belongs to the new address space, and
    writing "5" to /proc/self/clear_refs resets it to the current RSS, so the
    peak after the reset is the peak of the training steps alone.
    """
    x, y = batch(config, args.batch, args.seq, args.seed)
    step, _ = build(variant, config, args.seed)
    before = _vm_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    for _ in range(max(args.warmup, 1) + 2):
        step(x, y)
    peak = _vm_kib("VmHWM")
    return {
        "rss_before_mib": before / 1024,
        "rss_peak_mib": peak / 1024,
        "step_delta_mib": (peak - before) / 1024,
    }


def measure_memory(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    out = {}
    for v in args.variants:
        cmd = [sys.executable, __file__, "--memory-child", v, *args.passthrough]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out[v] = json.loads(res.stdout.strip().splitlines()[-1])
        print(f"  memory {v}: {out[v]}", file=sys.stderr, flush=True)
    return out


def report(args: argparse.Namespace, config: ModelConfig, timing: dict, memory: dict, command: str) -> str:
    base = timing["hf"]["median_step_s"] if "hf" in timing else None
    lines = [
        "# Training-step throughput on CPU: ours vs transformers",
        "",
        f"Command: `{command}`",
        "",
        f"- Machine: {platform.machine()}, {os.cpu_count()} logical CPUs (shared with other jobs), "
        f"torch {torch.__version__}, {torch.get_num_threads()} intra-op threads, Python {platform.python_version()}",
        f"- Model: `{config.name}`: {count_parameters(config):,} parameters; hidden {config.hidden_size}, "
        f"{config.num_layers} layers, {config.num_heads} heads / {config.num_kv_heads} KV heads, "
        f"inter {config.intermediate_size}, vocab {config.vocab_size}, tied embeddings",
        f"- Step: forward + cross-entropy + backward + AdamW + zero_grad, fp32, batch {args.batch} x seq {args.seq} "
        f"= {args.batch * args.seq} tokens; {args.warmup} warm-up step(s), then {args.reps} interleaved "
        f"repetitions of {args.steps} step(s) each; median of the per-repetition mean step time.",
        "- Clocks: wall time (`perf_counter`) is what a user waits; CPU time (`process_time`, all threads of "
        "the process) is the work done, which stays comparable when other jobs steal the cores. Ratios > 1 mean "
        "faster than `hf`.",
        "- Peak memory: fresh subprocess per variant (Linux); peak resident set (`VmHWM`, reset through "
        "`/proc/self/clear_refs` just before the first step) during warm-up + 2 steps, and its increase over the "
        "resident set before the first step (imports, model, batch already resident) = what training needs on "
        "top of the model: activations, gradients, AdamW state, allocator slack. (`ru_maxrss` is not used: "
        "Linux carries it across fork+exec.)",
        "",
        "| variant | median wall/step (s) | min..max wall (s) | tokens/s (wall) | wall vs hf "
        "| median CPU/step (s) | min..max CPU (s) | CPU vs hf | first step (s) | peak RSS (MiB) | step delta (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base_cpu = timing["hf"]["median_cpu_s"] if "hf" in timing else None
    for v, t in timing.items():
        m = memory.get(v, {})
        ratio = f"{base / t['median_step_s']:.2f}x" if base else "-"
        cratio = f"{base_cpu / t['median_cpu_s']:.2f}x" if base_cpu else "-"
        lines.append(
            f"| {v} | {t['median_step_s']:.3f} | {t['min_step_s']:.3f}..{t['max_step_s']:.3f} | "
            f"{t['tokens_per_s']:,.0f} | {ratio} | {t['median_cpu_s']:.3f} | "
            f"{t['min_cpu_s']:.3f}..{t['max_cpu_s']:.3f} | {cratio} | {t['first_step_s']:.2f} | "
            f"{m.get('rss_peak_mib', float('nan')):.0f} | {m.get('step_delta_mib', float('nan')):.0f} |"
        )
    lines += [
        "",
        "Variants: `hf` = transformers `LlamaForCausalLM` (sdpa attention) with default AdamW (foreach); "
        "`hf+fused` = the same model with our `make_optimizer` (fused AdamW); `ours-foreach` = our model with "
        "foreach AdamW; `ours` = our model with `trainer.model.make_optimizer` (fused AdamW), what "
        "`apr pretrain` uses; `ours+compile` = `ours` with `torch.compile` on forward+loss (the first step "
        "includes compilation); `hf+bf16` / `ours+bf16` = the same models with bf16 autocast on forward+loss "
        "(`trainer.model.autocast`; fp32 master weights and AdamW state, default AdamW for hf, fused for ours). "
        "Compare like with like: ours vs hf, ours+bf16 vs hf+bf16.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="small-15m")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--steps", type=int, default=2, help="steps per repetition")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch default)")
    p.add_argument("--compile", action="store_true", help="add the ours+compile variant")
    p.add_argument("--no-bf16", action="store_true", help="skip the bf16 autocast variants")
    p.add_argument("--variants", default=None, help="comma-separated subset of " + ",".join(VARIANTS))
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--out", type=Path, default=None, help="write the markdown report here")
    p.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    config = get_preset(args.preset)
    if args.variants:
        args.variants = args.variants.split(",")
    else:
        args.variants = [
            v
            for v in VARIANTS
            if (v != "ours+compile" or args.compile) and (not v.endswith("+bf16") or not args.no_bf16)
        ]
    argv = sys.argv[1:]
    args.passthrough = [a for a in argv if not a.startswith("--out")]
    if "--out" in argv:
        i = argv.index("--out")
        args.passthrough = argv[:i] + argv[i + 2 :]

    if args.memory_child:
        print(json.dumps(memory_child(args, config, args.memory_child)))
        return 0
    print(
        f"benchmarking {args.variants} on {config.name} ({count_parameters(config):,} params)",
        file=sys.stderr,
    )
    timing = time_variants(args, config)
    memory = {} if args.no_memory else measure_memory(args)
    command = ".venv/bin/python bench/bench_train_step.py " + " ".join(argv)
    text = report(args, config, timing, memory, command.strip())
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    assert all(math.isfinite(t["median_step_s"]) for t in timing.values())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
