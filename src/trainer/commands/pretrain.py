"""``apr pretrain``: train a Llama-family decoder on token shards (real compute by default).

Module scope imports only stdlib (argparse): torch loads inside ``run`` so
``apr --help`` stays instant.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from trainer.train.options import TrainOptions

HELP = "pretrain or fine-tune a decoder on token shards (real compute; --synthetic is an opt-in dry run)"

def add_arguments(parser: argparse.ArgumentParser) -> None:
    from trainer.train.device import validate_device_flag

    data = parser.add_argument_group("data")
    data.add_argument("--dataset", type=Path, help="shard directory (shard-*.bin) or one .bin file")
    data.add_argument("--tokenizer", type=Path, help="tokenizer dir (vocab.json is enough) or tokenizer.json")
    data.add_argument("--val-shard", type=Path, default=None,
                      help="held-out shards for val_loss (default: fixed windows held out of --dataset)")
    data.add_argument("--val-batches", type=int, default=16, help="held-out batches per evaluation (default 16)")
    data.add_argument("--allow-shard-cycle", action="store_true",
                      help="allow planned tokens to exceed one pass over the corpus (cycles with a warning)")
    parser.add_argument("--run-dir", type=Path, required=True, help="output directory for this run")
    model = parser.add_argument_group("model")
    model.add_argument("--mode", choices=("finetune", "from-scratch"), default="finetune",
                       help="flips lr/warmup/target defaults together (finetune: 5e-5/100/2.2; "
                       "from-scratch: 3e-4/1000/3.0)")
    model.add_argument("--model", default="llama-370m", help="architecture preset (default llama-370m)")
    model.add_argument("--vocab-size", type=int, default=None,
                       help="override the preset's vocab size (from-scratch; not with --init)")
    model.add_argument("--init", type=Path, default=None,
                       help="start from a pretrained checkpoint (APR, HF dir or GGUF); architecture comes from it")
    loop = parser.add_argument_group("loop")
    loop.add_argument("--num-steps", type=int, default=1000, help="optimizer steps (default 1000; 0 = evaluate "
                      "and checkpoint the step-0 model)")
    loop.add_argument("--batch-size", type=int, default=16, help="sequences per micro-batch (default 16)")
    loop.add_argument("--seq-length", type=int, default=1024, help="tokens per sequence (default 1024)")
    loop.add_argument("--grad-accum", type=int, default=1, help="micro-batches per optimizer step (default 1)")
    loop.add_argument("--steps-per-epoch", type=int, default=100, help="steps between evaluations/checkpoints")
    loop.add_argument("--seed", type=int, default=42, help="seed for init and data order (default 42)")
    loop.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the mode's)")
    loop.add_argument("--warmup-steps", type=int, default=None, help="linear warmup steps (default: the mode's)")
    loop.add_argument("--target-val-loss", type=float, default=None, help="CONVERGED threshold (default: mode's)")
    loop.add_argument("--patience", type=int, default=2, help="epochs without improvement tolerated (default 2)")
    loop.add_argument("--min-epochs", type=int, default=3, help="no early stop/convergence before (default 3)")
    loop.add_argument("--device", type=validate_device_flag, default="auto",
                      help="auto | cpu | cuda | cuda:N (explicit cuda without CUDA is an error)")
    compute = parser.add_argument_group("compute")
    compute.add_argument("--kernels", choices=("auto", "torch", "triton"), default="auto",
                         help="auto = Triton on CUDA, torch on CPU; triton on CPU needs TRITON_INTERPRET=1")
    compute.add_argument("--precision", choices=("fp32", "bf16"), default=None,
                         help="forward precision: bf16 autocast with fp32 master weights (default on CUDA) "
                         "or fp32 (default on CPU)")
    compute.add_argument("--compile", action="store_true", help="torch.compile the model (CUDA)")
    run = parser.add_argument_group("run")
    run.add_argument("--resume", action="store_true", help="continue the interrupted run in --run-dir exactly")
    run.add_argument("--synthetic", action="store_true", default=False,
                     help="scripted losses, no compute, no checkpoint (opt-in dry run; everything says SYNTHETIC)")
    run.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    dist = parser.add_argument_group("distributed (docs/distributed.md)")
    dist.add_argument("--nproc", type=int, default=1,
                      help="ranks to launch on this machine through torchrun's launcher (default 1; "
                      "under torchrun use --nproc-per-node instead)")
    dist.add_argument("--shard", choices=("ddp", "fsdp"), default="ddp",
                      help="ddp: full replicas (default); fsdp: FSDP2 fully_shard, weights and optimizer sharded")


def options_from_args(args: argparse.Namespace) -> TrainOptions:
    """Resolve mode defaults (GATE-TRAIN-009: explicit flags win) into TrainOptions."""
    from trainer.train.options import TrainOptions, resolve_mode_defaults

    row = resolve_mode_defaults(args.mode, lr=args.lr, warmup_steps=args.warmup_steps,
                                target_val_loss=args.target_val_loss)
    return TrainOptions(
        dataset=args.dataset, tokenizer=args.tokenizer, run_dir=args.run_dir, mode=args.mode, model=args.model,
        vocab_size=args.vocab_size, num_steps=args.num_steps, batch_size=args.batch_size,
        seq_length=args.seq_length, steps_per_epoch=args.steps_per_epoch, seed=args.seed, lr=row.lr,
        warmup_steps=row.warmup_steps, target_val_loss=row.target_val_loss, device=args.device,
        val_shard=args.val_shard, val_batches=args.val_batches, grad_accum=args.grad_accum,
        patience=args.patience, min_epochs=args.min_epochs, allow_shard_cycle=args.allow_shard_cycle,
        resume=args.resume, synthetic=bool(args.synthetic), init=args.init, json=args.json,
        progress=not args.no_progress, kernels=args.kernels, precision=args.precision, compile=args.compile,
        nproc=args.nproc, shard=args.shard,
    )


def header_lines(opts: TrainOptions, device_note: str, model_desc: str, compute_note: str | None = None) -> list[str]:
    """The run header; says REAL COMPUTE or SYNTHETIC on its first line (GATE-TRAIN-010)."""
    kind = "SYNTHETIC (scripted losses, no compute, no checkpoint)" if opts.synthetic else "REAL COMPUTE"
    return [
        f"apr pretrain — training loop — {kind}",
        "=== Configuration ===",
        f"Dataset:          {opts.dataset}",
        f"Tokenizer:        {opts.tokenizer}",
        f"Run dir:          {opts.run_dir}",
        f"Mode:             {opts.mode}",
        f"Model:            {model_desc}",
        f"Init:             {opts.init if opts.init else 'none (random init)'}",
        f"LR max / min:     {opts.lr:.2e} / {opts.lr_min:.2e}",
        f"Total steps:      {opts.num_steps} ({opts.num_epochs} epoch(s) of {opts.steps_per_epoch})",
        f"Warmup steps:     {opts.warmup_steps}",
        f"Batch x seq:      {opts.batch_size} x {opts.seq_length} x accum {opts.grad_accum} (per rank)",
        f"Global batch:     {opts.global_batch} = {opts.batch_size} per rank x {opts.world_size} rank(s) x "
        f"accum {opts.grad_accum}",
        f"Seed:             {opts.seed}",
        f"Target val_loss:  {opts.target_val_loss:.2f}",
        f"Device:           {device_note}",
        f"Compute:          {compute_note or 'n/a'}",
        f"Resume:           {'yes' if opts.resume else 'no'}",
    ]


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While training, treat SIGTERM (a scheduler killing the job) like Ctrl-C.

    result.json then records ABORTED/INTERRUPTED instead of nothing; checkpoints are atomic either
    way. The previous handler is restored afterwards (in-process callers such as tests keep theirs).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace) -> int:
    """Preflight -> train (or the synthetic script) -> print and record the result."""
    from trainer.errors import RunAborted
    from trainer.train import distributed

    opts = options_from_args(args)
    world = distributed.world_from_env()
    _check_launch(opts, world)
    if opts.nproc > 1:
        from trainer.train.launch import launch

        return launch(opts.nproc, getattr(args, "_argv", sys.argv[1:]))
    opts = opts.replace(world_size=world.world_size)
    if world.distributed:
        return _run_rank(opts, world)
    out = sys.stderr if opts.json else sys.stdout
    if opts.synthetic:
        from trainer.train.synthetic import run_synthetic

        print("\n".join(header_lines(opts, "none (synthetic)", opts.model, "none (synthetic)")), file=out)
        result = run_synthetic(opts)
    else:
        from trainer.train.builder import resolve_compute
        from trainer.train.loop import run_training
        from trainer.train.preflight import run_preflight

        report = run_preflight(opts)
        compute = resolve_compute(opts.kernels, opts.precision, opts.compile, report.device.name)  # GATE-KERNELS-001
        if opts.resume:
            distributed.check_resume_world(opts.run_dir, world)
        cfg = report.model_config
        model_desc = (f"{cfg.name} ({cfg.family}, V={cfg.vocab_size}, hidden {cfg.hidden_size}, "
                      f"{cfg.num_layers} layers)")
        print("\n".join(header_lines(opts, report.device.note, model_desc, compute.describe())), file=out)
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        out.flush()
        with _sigterm_interrupts():
            result = run_training(report)
    if opts.json:
        sys.stdout.write(result.to_json())
    else:
        print(result.text_block())
        print(f"Result: {Path(opts.run_dir) / 'result.json'}")
        print(f"Loss plot: {Path(opts.run_dir) / 'loss.png'}")
    return 0 if result.ok else RunAborted.exit_code


def _check_launch(opts: TrainOptions, world: object) -> None:
    """GATE-PREFLIGHT-ARGS for the distributed flags (before any process is launched)."""
    from trainer.errors import GATE_PREFLIGHT_ARGS, PreflightError

    if opts.nproc < 1:
        raise PreflightError(GATE_PREFLIGHT_ARGS, f"--nproc {opts.nproc} must be >= 1", fix="pass --nproc 1 or more")
    if opts.nproc > 1 and getattr(world, "distributed", False):
        raise PreflightError(GATE_PREFLIGHT_ARGS, f"--nproc {opts.nproc} under torchrun (WORLD_SIZE is already "
                             f"{getattr(world, 'world_size', '?')})",
                             fix="drop --nproc: torchrun's --nproc-per-node sets the ranks")
    if opts.synthetic and (opts.nproc > 1 or getattr(world, "distributed", False)):
        raise PreflightError(GATE_PREFLIGHT_ARGS, "--synthetic computes nothing and cannot run distributed",
                             fix="drop --nproc (or run it without torchrun)")


def _run_rank(opts: TrainOptions, world: object) -> int:
    """One rank of a torchrun job: preflight here, agree with the others, then train; rank 0 alone prints.

    Preflight runs before the process group exists; the first collective shares every
    rank's outcome, so a refusal anywhere stops every rank with that rank's message and code.
    """
    import torch

    from trainer.errors import RunAborted
    from trainer.train import distributed
    from trainer.train.builder import resolve_compute
    from trainer.train.loop import run_training
    from trainer.train.preflight import run_preflight

    assert isinstance(world, distributed.World)
    report = None
    compute_note = ""
    failure: BaseException | None = None
    try:
        report = run_preflight(opts, rank=world.rank)
        compute_note = resolve_compute(opts.kernels, opts.precision, opts.compile,  # GATE-KERNELS-001
                                       report.device.name).describe()
        if opts.resume:
            distributed.check_resume_world(opts.run_dir, world)
    except Exception as exc:  # every rank reports its outcome before anyone trains
        failure = exc
    device_name = report.device.name if report is not None else "cpu"
    with distributed.process_group(world, device_name):
        distributed.agree_preflight(distributed.preflight_outcome(failure))
        assert report is not None
        report.device = distributed.rank_device(report.device, world)
        out = sys.stderr if opts.json else sys.stdout
        if world.is_main:
            cfg = report.model_config
            model_desc = (f"{cfg.name} ({cfg.family}, V={cfg.vocab_size}, hidden {cfg.hidden_size}, "
                          f"{cfg.num_layers} layers)")
            lines = header_lines(opts, report.device.note, model_desc, compute_note)
            lines.append("Distributed:      " + distributed.describe(world, opts.shard, report.device.name,
                                                                     opts.batch_size, opts.grad_accum))
            print("\n".join(lines), file=out)
            for warning in report.warnings:
                print(f"warning: {warning}", file=sys.stderr)
            out.flush()
        try:
            with _sigterm_interrupts():
                result = run_training(report)
        except (torch.distributed.DistError, RuntimeError) as exc:
            raise distributed.collective_failure(exc) from None
        if world.is_main:
            if opts.json:
                sys.stdout.write(result.to_json())
            else:
                print(result.text_block())
                print(f"Result: {Path(opts.run_dir) / 'result.json'}")
                print(f"Loss plot: {Path(opts.run_dir) / 'loss.png'}")
    return 0 if result.ok else RunAborted.exit_code
