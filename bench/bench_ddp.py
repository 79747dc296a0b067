"""Data-parallel overhead: the trainer's step on 1 process vs N ranks (DDP, FSDP2), same per-rank batch.

Each variant is one launch: 1 process, or N ranks through torchrun's launcher API
(``elastic_launch``, as ``apr pretrain --nproc`` uses). Inside, every rank builds the
same model, wraps it exactly as the trainer does (``distributed.wrap_model``) and
times the trainer's own ``train_step`` (forward, CE, backward with the gradient
all-reduce / reduce-scatter, clipping, AdamW) on fixed random tokens; rank 0 reports
the median step time after warm-up. Launches are interleaved (1, DDP, FSDP, 1, ...)
so load from other jobs hits every variant alike; the table shows medians over
launches and the ratio of each distributed step to the 1-process step.

Threads: 1 intra-op thread per rank (``--threads``), so N ranks use N cores and the
per-rank work equals the 1-process work: the ratio measures the communication and
wrapper overhead (target: DDP step <= 1.15 x the 1-process step).

    .venv/bin/python bench/bench_ddp.py                              # CPU, gloo, 2 ranks
    .venv/bin/python bench/bench_ddp.py --out bench/results/ddp.md
    .venv/bin/python bench/bench_ddp.py --device cuda --nproc 8 --model llama-370m --batch 8 --seq 1024
                                                                     # GPU recipe: nccl, one GPU per rank
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def worker(args: argparse.Namespace) -> None:
    """One rank (or the single process): time ``train_step`` and write rank 0's median to ``args.result``."""
    import torch

    from trainer.model import LlamaForCausalLM, make_optimizer
    from trainer.presets import get_preset
    from trainer.train import distributed
    from trainer.train.loop import train_step

    torch.set_num_threads(args.threads)
    world = distributed.world_from_env()
    device = args.device if not args.device.startswith("cuda") else f"cuda:{world.local_rank}"
    with distributed.process_group(world, device):
        config = get_preset(args.model)
        torch.manual_seed(0)
        model = LlamaForCausalLM(config).to(device)
        model = distributed.wrap_model(model, args.shard, device)
        optimizer = make_optimizer(model, 1e-4, 0.01)
        gen = torch.Generator().manual_seed(1 + world.rank)
        x = torch.randint(0, config.vocab_size, (args.batch, args.seq + 1), generator=gen).to(device)
        batch = [(x[:, :-1].contiguous(), x[:, 1:].contiguous())]
        times = []
        for step in range(args.warmup + args.steps):
            distributed.barrier()
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            train_step(model, optimizer, batch, step=step, lr=1e-4)
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            if step >= args.warmup:
                times.append(time.perf_counter() - t0)
        worst = max(distributed.gather_floats(statistics.median(times)))  # the job moves at its slowest rank
        if world.is_main:
            Path(args.result).write_text(json.dumps({"step_s": worst, "world": world.world_size}))


def launch(variant: str, args: argparse.Namespace, result: Path) -> float:
    """One launch of ``variant`` ("1", "ddp", "fsdp"); returns rank 0's median step seconds."""
    own = [__file__, "--worker", "--result", str(result), "--model", args.model, "--batch", str(args.batch),
           "--seq", str(args.seq), "--steps", str(args.steps), "--warmup", str(args.warmup),
           "--threads", str(args.threads), "--device", args.device,
           "--shard", "ddp" if variant == "1" else variant]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
    if variant == "1":
        for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
            env.pop(key, None)
        cmd = [sys.executable, *own]
    else:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
               str(args.nproc), *own]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    return float(json.loads(result.read_text())["step_s"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", default="", help=argparse.SUPPRESS)
    parser.add_argument("--shard", default="ddp", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="tiny", help="architecture preset (default tiny)")
    parser.add_argument("--batch", type=int, default=8, help="sequences per rank per step (default 8)")
    parser.add_argument("--seq", type=int, default=128, help="tokens per sequence (default 128)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per launch (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per rank (default 1)")
    parser.add_argument("--nproc", type=int, default=2, help="ranks of the distributed variants (default 2)")
    parser.add_argument("--device", default="cpu", help="cpu (gloo) or cuda (nccl, one GPU per rank)")
    parser.add_argument("--reps", type=int, default=3, help="interleaved launches per variant (default 3)")
    parser.add_argument("--variants", default="1,ddp,fsdp", help="comma list of 1, ddp, fsdp")
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown table here")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    if args.worker:
        worker(args)
        return 0
    variants = args.variants.split(",")
    samples: dict[str, list[float]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            for v in variants:
                samples[v].append(launch(v, args, Path(tmp) / f"{v}-{rep}.json"))
    tokens = args.batch * args.seq
    base = statistics.median(samples["1"]) if "1" in samples else None
    lines = [
        f"bench_ddp: model {args.model}, per-rank batch {args.batch} x seq {args.seq}, {args.threads} thread(s)/rank, "
        f"device {args.device}, {args.steps} timed steps x {args.reps} interleaved launches; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.2f}",
        "",
        "| variant | ranks | step ms (median) | steps/s | tokens/s (all ranks) | step / 1-process step |",
        "|---|---|---|---|---|---|",
    ]
    for v in variants:
        ranks = 1 if v == "1" else args.nproc
        step = statistics.median(samples[v])
        ratio = f"{step / base:.2f}x" if base else "-"
        name = "1 process" if v == "1" else ("DDP" if v == "ddp" else "FSDP2")
        lines.append(f"| {name} | {ranks} | {step * 1e3:.1f} | {1 / step:.2f} | {tokens * ranks / step:,.0f} | "
                     f"{ratio} |")
    lines.append("")
    lines.append("samples (ms): " + "; ".join(f"{v}: " + ", ".join(f"{s * 1e3:.1f}" for s in samples[v])
                                          for v in variants))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
