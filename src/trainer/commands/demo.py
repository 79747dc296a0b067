"""``apr demo``: end-to-end on the bundled corpus (the Python standard library's own source).

Trains a byte-level BPE tokenizer, encodes the stdlib's train and held-out
files into shards, sizes the run to the time budget (a short calibration
measures this machine's step time) and trains the small preset from scratch
on CPU through the same preflight and loop as ``apr pretrain``. Nothing is
downloaded.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from trainer.train.options import TrainOptions
    from trainer.train.preflight import PreflightReport

HELP = "tokenize the Python stdlib and train a small model on CPU for a few minutes, end to end"

TOKENIZER_BYTES = 3_000_000  # BPE is trained on the first ~3 MB of train files: enough for 2048 merges
MIN_STEPS = 20  # a run shorter than this shows no learning curve; a tiny --minutes trains this many (announced)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from trainer.train.device import validate_device_flag

    parser.add_argument("--minutes", type=float, default=2.0, help="training time budget (default 2)")
    parser.add_argument("--out", type=Path, default=Path("apr-demo"), help="output directory (default ./apr-demo)")
    parser.add_argument("--model", default="tiny", help="preset to train (default tiny, ~1M parameters)")
    parser.add_argument("--seq-length", type=int, default=128, help="tokens per sequence (default 128)")
    parser.add_argument("--batch-size", type=int, default=8, help="sequences per step (default 8)")
    parser.add_argument("--device", type=validate_device_flag, default="cpu", help="device (default cpu)")
    parser.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def _manifest_tokenizer_sha(manifest: Path) -> str | None:
    """The ``tokenizer_sha256`` a shard manifest records, or None when absent or unreadable."""
    import json

    try:
        value = json.loads(manifest.read_text(encoding="utf-8")).get("tokenizer_sha256")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _prepare_data(out: Path, vocab_size: int, say: Callable[[str], None]) -> tuple[Path, Path, Path]:
    """Tokenizer + train/val shards under ``out`` (reused when already there)."""
    from trainer.data.corpus import stdlib_sources
    from trainer.data.shards import MANIFEST_FILE, encode_corpus, tokenizer_sha256
    from trainer.data.tokenizer import count_vocab, train_bpe

    train_files, val_files = stdlib_sources("train"), stdlib_sources("val")
    tok_dir, train_dir, val_dir = out / "tokenizer", out / "data" / "train", out / "data" / "val"
    if not (tok_dir / "vocab.json").is_file() or count_vocab(tok_dir) != vocab_size:
        subset, size = [], 0
        for path in train_files:
            subset.append(path)
            size += path.stat().st_size
            if size >= TOKENIZER_BYTES:
                break
        say(f"[1/3] training a {vocab_size}-token byte-level BPE on {len(subset)} stdlib files ({size / 1e6:.1f} MB)")
        train_bpe(subset, vocab_size, tok_dir)
    current_sha = tokenizer_sha256(tok_dir)
    for name, files, target in (("train", train_files, train_dir), ("val", val_files, val_dir)):
        recorded = _manifest_tokenizer_sha(target / MANIFEST_FILE)
        if recorded != current_sha:  # missing, unreadable, or encoded with another (older) tokenizer
            if recorded is not None:
                say(f"[2/3] {target} was encoded with another tokenizer (sha256 {recorded[:12]}, now "
                    f"{current_sha[:12]}): re-encoding")
            say(f"[2/3] encoding {len(files)} {name} files -> {target}")
            encode_corpus(tok_dir, files, target, eos_policy="between", overwrite=True, progress=True)
    return tok_dir, train_dir, val_dir


def _seconds_per_step(report: PreflightReport, opts: TrainOptions) -> float:
    """Median wall time of 3 real training steps (after one warm-up) of this config on this machine."""
    import statistics

    import torch

    from trainer.model import LlamaForCausalLM, make_optimizer
    from trainer.train.loop import train_step
    from trainer.train.options import ADAM_BETAS, ADAM_EPS, WEIGHT_DECAY

    torch.manual_seed(opts.seed)
    model = LlamaForCausalLM(report.model_config).to(report.device.name)
    opt = make_optimizer(model, opts.lr, WEIGHT_DECAY, betas=ADAM_BETAS, eps=ADAM_EPS)  # as the loop builds it
    x = torch.randint(0, report.model_config.vocab_size, (opts.batch_size, opts.seq_length + 1))
    batch = [(x[:, :-1].to(report.device.name), x[:, 1:].to(report.device.name))]
    times = []
    for i in range(4):
        t0 = time.perf_counter()
        train_step(model, opt, batch, step=i, lr=opts.lr)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[1:])


def run(args: argparse.Namespace) -> int:
    from trainer.errors import GATE_PREFLIGHT_ARGS, GATE_PREFLIGHT_RUNDIR, PreflightError, RunAborted
    from trainer.presets import get_preset
    from trainer.train.device import resolve_device
    from trainer.train.loop import run_training
    from trainer.train.options import TrainOptions
    from trainer.train.preflight import check_run_numbers, check_seq_length, run_preflight

    out = Path(args.out)
    log = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=log, flush=True)

    if not (math.isfinite(args.minutes) and args.minutes > 0):
        raise PreflightError(GATE_PREFLIGHT_ARGS, f"--minutes {args.minutes} is invalid: must be > 0 and finite",
                             fix="pass a positive time budget, e.g. --minutes 2")
    if out.exists() and not out.is_dir():  # checked before minutes of tokenizer training, not after
        raise PreflightError(GATE_PREFLIGHT_RUNDIR, f"--out {out} exists and is not a directory",
                             fix="pass a new or existing directory for the demo's tokenizer, data and runs")
    config = get_preset(args.model)
    tok_dir, train_dir, val_dir = out / "tokenizer", out / "data" / "train", out / "data" / "val"
    run_dir = out / f"run-{time.strftime('%Y%m%d-%H%M%S')}"
    opts = TrainOptions(
        dataset=train_dir, tokenizer=tok_dir, run_dir=run_dir, mode="from-scratch", model=args.model,
        num_steps=10, batch_size=args.batch_size, seq_length=args.seq_length, steps_per_epoch=10,
        seed=args.seed, lr=1e-3, warmup_steps=1, target_val_loss=3.0, device=args.device, val_shard=val_dir,
        val_batches=8, allow_shard_cycle=True, patience=3, min_epochs=3, progress=not args.json,
    )
    # The cheap refusals first: tokenizing and encoding the stdlib takes minutes.
    check_run_numbers(opts)
    check_seq_length(opts.seq_length, config.max_position_embeddings, f"preset {config.name}")
    resolve_device(opts.device)
    _prepare_data(out, config.vocab_size, say)  # fills tok_dir, train_dir and val_dir
    per_step = _seconds_per_step(run_preflight(opts.replace(run_dir=out / ".calibrate")), opts)
    budget = args.minutes * 60
    # ~85% of the budget for steps; evaluation and checkpoints take the rest.
    num_steps = int(0.85 * budget / per_step)
    if num_steps < MIN_STEPS:
        say(f"note: --minutes {args.minutes:g} fits {num_steps} steps of ~{per_step * 1000:.0f} ms; "
            f"training the minimum of {MIN_STEPS}")
        num_steps = MIN_STEPS
    steps_per_epoch = max(10, num_steps // 8)
    opts = opts.replace(num_steps=num_steps, steps_per_epoch=steps_per_epoch, warmup_steps=max(1, num_steps // 20))
    say(f"[3/3] training {config.name} from scratch: {num_steps} steps (~{per_step * 1000:.0f} ms each, "
        f"budget {args.minutes:g} min), {opts.num_epochs} epochs, run dir {run_dir}")
    report = run_preflight(opts)
    for warning in report.warnings:
        say(f"note: {warning}")
    result = run_training(report)
    if args.json:
        sys.stdout.write(result.to_json())
    else:
        print(result.text_block())
        print(f"Result:    {run_dir / 'result.json'}")
        print(f"Loss plot: {run_dir / 'loss.png'}")
        print(f"Checkpoints: {run_dir / 'ckpt'}")
    return 0 if result.ok else RunAborted.exit_code
