"""The real training loop: AdamW, warmup + cosine, clipping, accumulation, eval, gates, checkpoints.

One code path for CPU and CUDA. Epoch numbering: epoch N is the state after N
trained epochs, so ``epoch-000`` (and ``val_loss_history[0]``) is the model at
step 0, before any update, and GATE-TRAIN-005's "val[0]" is the step-0
evaluation. Per trained epoch, in this order: evaluate on the fixed held-out
batches -> GATE-TRAIN-007 (finite) -> GATE-TRAIN-005 (divergence) ->
GATE-TRAIN-EVAL (plausibility) -> checkpoint + metadata + resume point ->
CONVERGED / EARLY_STOP decision. A gate that fires leaves that epoch
uncheckpointed and the run ABORTED (exit 4), with result.json written.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from trainer.errors import GATE_TRAIN_007, RunAborted
from trainer.train import distributed, gates
from trainer.train.metrics import MetricsLog, device_utilisation
from trainer.train.options import ADAM_BETAS, ADAM_EPS, GRAD_CLIP, WEIGHT_DECAY, TrainOptions
from trainer.train.preflight import RUN_FILE, PreflightReport
from trainer.train.result import RunResult, write_result
from trainer.train.schedule import lr_at
from trainer.train.state import LoopState, safe_exp, save_epoch

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch
    from rich.console import Console

    from trainer.train.builder import ComputeSettings

StepHook = Callable[[int], None]
TRAIN_LOSS_WINDOW = 100  # metadata train_loss: mean over the epoch's last <= 100 steps (seed definition)
EVAL_TRAIN_WINDOW = 10  # GATE-TRAIN-EVAL compares against the mean of the last <= 10 steps


def cross_entropy_sum(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Summed next-token CE in fp32 (sums make accumulation exact regardless of micro-batch sizes)."""
    import torch.nn.functional as F

    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), reduction="sum")


def batch_loss_sum(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Summed CE of one batch: through the fused head when the model's kernels say so, else logits + CE."""
    from trainer.train.builder import unwrap

    core = unwrap(model)
    if core.kernels.fused_ce(int(y.numel()), core.config.vocab_size):
        return model(x, targets=y)
    return cross_entropy_sum(model(x), y)


def train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    micro_batches: list[tuple[torch.Tensor, torch.Tensor]],
    *,
    step: int,
    lr: float,
    grad_clip: float = GRAD_CLIP,
    precision: str = "fp32",
) -> tuple[float, float]:
    """One optimizer step over ``micro_batches`` (gradient accumulation); returns (loss, grad_norm).

    Each micro-batch's summed CE is divided by the token count of ALL
    micro-batches, so accumulating 2 x 4 sequences gives the gradient of one
    batch of 8. ``grad_norm`` is the real global L2 norm before clipping.
    GATE-TRAIN-007 runs before ``optimizer.step()``: a NaN/Inf never reaches the weights.
    ``precision`` "bf16" autocasts the forward and loss only (fp32 master weights and AdamW state).
    Distributed: DDP/FSDP2 average the gradients over ranks (equal local token counts),
    which is the gradient of the global batch; the returned loss is summed over ranks, so
    every rank sees the same loss and grad norm and takes the same gate decision.
    """
    import torch

    from trainer.model import autocast

    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    n_tokens = sum(int(y.numel()) for _, y in micro_batches)
    total = torch.zeros((), dtype=torch.float32, device=micro_batches[0][0].device)
    for i, (x, y) in enumerate(micro_batches):
        with distributed.accumulation_context(model, last=i == len(micro_batches) - 1):
            with autocast(x.device, precision):
                loss_sum = batch_loss_sum(model, x, y)
            (loss_sum / n_tokens).backward()
        total += loss_sum.detach()
    params = [p for p in model.parameters() if p.grad is not None]
    grad_norm = distributed.scalar(torch.nn.utils.clip_grad_norm_(params, grad_clip))
    loss_total, token_total = distributed.sum_floats(float(total), n_tokens)
    train_loss = loss_total / token_total
    gates.check_finite_step(step, train_loss, grad_norm)
    optimizer.step()
    return train_loss, grad_norm


def evaluate(model: torch.nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]], *, pad: int = 0) -> float:
    """Mean CE over every token of the fixed held-out batches (the same batches each call).

    Distributed: ``batches`` is this rank's share (``distributed.val_share``), ``pad``
    extra forwards keep the ranks in step, and the sums are reduced over ranks, so
    every rank returns the same val_loss of the whole held-out set.

    The caller's autocast context (``--precision``) applies.
    """
    import torch

    was_training = model.training
    model.eval()
    total = 0.0
    count = 0
    with torch.no_grad():
        for x, y in batches:
            total += float(batch_loss_sum(model, x, y))
            count += int(y.numel())
        for _ in range(pad):
            model(batches[0][0] if batches else _pad_input(model))
    model.train(was_training)
    total, count = distributed.sum_floats(total, count)
    return total / count if count else math.nan


def _pad_input(model: torch.nn.Module) -> torch.Tensor:
    """A one-token input for a padding forward on a rank that holds no held-out batch."""
    import torch

    return torch.zeros((1, 1), dtype=torch.long, device=next(model.parameters()).device)


def _mean_tail(values: list[float], n: int) -> float | None:
    tail = values[-n:]
    return sum(tail) / len(tail) if tail else None


class _Progress:
    """A rich progress bar on stderr (silent when disabled or not a terminal)."""

    def __init__(self, enabled: bool, total: int, start: int, console: Console | None) -> None:
        self._bar = None
        if not enabled or total <= 0:
            return
        from rich.console import Console as RichConsole
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(
            TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
            TimeRemainingColumn(), console=console or RichConsole(stderr=True), transient=False,
        )
        self._task = self._bar.add_task("train", total=total, completed=start, info="")
        self._bar.start()

    def update(self, info: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, info=info)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def write_run_file(run_dir: Path, opts: TrainOptions, report: PreflightReport,
                   init_population: str | None = None, dist_info: dict[str, object] | None = None) -> None:
    """run.json: the settings fingerprint a --resume must match, the architecture, and what --init populated."""
    from trainer.atomic import atomic_write_text

    data = {"fingerprint": opts.fingerprint(), "model": report.model_config.to_dict(),
            "device": report.device.name, "tokenizer_vocab": report.tokenizer_vocab,
            "init_population": init_population, "distributed": dist_info}
    atomic_write_text(run_dir / RUN_FILE, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def recorded_init_population(run_dir: Path) -> str | None:
    """The --init population summary run.json recorded (None for runs without --init or an older run.json)."""
    try:
        from trainer.checkpoint.bounded_json import load_bounded  # run.json is a file a user can edit

        value = load_bounded((run_dir / RUN_FILE).read_bytes()).get("init_population")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def run_training(report: PreflightReport, *, console: Console | None = None,
                 step_hook: StepHook | None = None) -> RunResult:
    """Train as ``report.options`` says; always returns a RunResult (ABORTED included) and writes it.

    ``step_hook(steps_completed)`` runs after every optimizer step; tests use it
    to interrupt a run. ``KeyboardInterrupt`` is recorded in result.json
    (ABORTED, gate INTERRUPTED, resumable) and re-raised.
    """
    import torch

    from trainer.model import make_optimizer
    from trainer.train.builder import build_training_model, maybe_compile, resolve_compute

    opts = report.options
    config = report.model_config
    reader = report.reader
    assert reader is not None
    run_dir = Path(opts.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    device = torch.device(report.device.name)

    compute = resolve_compute(opts.kernels, opts.precision, opts.compile, report.device.name)
    init_spec = report.init_spec if not opts.resume else None  # a resume loads its own checkpoint instead
    model, population = build_training_model(config, seed=opts.seed, device=device, kernels=compute.kernels,
                                             init_spec=init_spec)
    if population is not None:
        sys.stderr.write(f"init: {population}\n")
    model = distributed.wrap_model(model, opts.shard, report.device.name)
    step_model = maybe_compile(model, compute.compile)  # after DDP/FSDP2 wrapping, as torch recommends
    optimizer = make_optimizer(model, opts.lr, WEIGHT_DECAY, betas=ADAM_BETAS, eps=ADAM_EPS)
    init_str = str(opts.init) if opts.init is not None else None
    run = _Session(report, run_dir, device, compute, model, step_model, optimizer, population, init_str)
    progress: _Progress | None = None
    try:
        if opts.resume:
            run.resume()
        else:
            run.start()
        run.result.initial_val_loss = run.state.initial_val_loss
        stop_reason: str | None = run.state.stopped
        progress = _Progress(opts.progress and run.main, opts.num_steps, run.state.step, console)
        for epoch in range(run.state.epochs_completed + 1, opts.num_epochs + 1):
            if stop_reason is not None:
                break
            stop_reason = run.epoch(epoch, progress, step_hook)
        run.conclude(stop_reason)
    except RunAborted as exc:
        run.result.status, run.result.gate_id, run.result.detail = "ABORTED", exc.gate_id, str(exc).removeprefix(
            f"{exc.gate_id}: ")
    except KeyboardInterrupt:
        run.interrupted()
        run.finish()
        raise
    finally:
        if progress is not None:
            progress.close()
    run.finish()
    return run.result


class _Session:
    """One run's moving parts, shared by its start (or resume), each epoch and its result.

    ``run_training`` builds the model and optimizer and then drives this: ``start``/``resume``,
    ``epoch`` per epoch, ``conclude``; ``finish`` fills and writes result.json on every exit path.
    """

    def __init__(self, report: PreflightReport, run_dir: Path, device: torch.device, compute: ComputeSettings,
                 model: torch.nn.Module, step_model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 population: str | None, init_str: str | None) -> None:
        opts, config = report.options, report.model_config
        assert report.reader is not None
        self.report, self.opts, self.config, self.reader = report, opts, config, report.reader
        self.run_dir, self.device, self.compute = run_dir, device, compute
        self.model, self.step_model, self.optimizer = model, step_model, optimizer
        self.population, self.init_str = population, init_str
        self.main = distributed.is_main()
        self.metrics = MetricsLog(run_dir / "train.jsonl")
        self.patience = gates.Patience(opts.patience, opts.min_epochs)
        self.regime = "from-scratch" if opts.mode == "from-scratch" else "finetune"
        val_share, self.val_pad = distributed.val_share(self.reader.val_batches())
        self.val_batches = [(x.to(device), y.to(device)) for x, y in val_share]
        self.result = RunResult(
            status="FINISHED", detail="", target_val_loss=opts.target_val_loss, synthetic=False, init=init_str,
            mode=opts.mode, device=report.device.name, model=config.to_dict(), vocab_size=config.vocab_size,
            ln_vocab=math.log(config.vocab_size), seed=opts.seed, run_dir=str(run_dir), init_population=population,
            kernels=compute.kernels.name, precision=compute.precision, compiled=compute.compile,
        )
        world = distributed.current()
        self.dist_info: dict[str, object] = {
            "world_size": world.world_size, "shard": opts.shard if world.distributed else None,
            "backend": distributed.backend_for(report.device.name) if world.distributed else None,
            "per_rank_batch": opts.batch_size, "grad_accum": opts.grad_accum, "global_batch": opts.global_batch}
        self.result.distributed = self.dist_info
        self.state = LoopState()
        self.session_start = time.perf_counter()
        self.wall_before = 0.0

    def eval(self) -> float:
        """Held-out loss; the padding keyword only when a rank needs it (single process: the plain call)."""
        from trainer.model import autocast

        with autocast(self.device, self.compute.precision):
            if self.val_pad:
                return evaluate(self.step_model, self.val_batches, pad=self.val_pad)
            return evaluate(self.step_model, self.val_batches)

    def checkpoint(self, epoch: int, meta: dict[str, object]) -> None:
        state = self.state
        state.wall_seconds = self.wall_before + (time.perf_counter() - self.session_start)
        state.patience = self.patience.state_dict()
        with distributed.full_state(self.model, self.optimizer, self.config) as full:  # FSDP2: every rank gathers
            if full is not None:  # rank 0 alone writes
                save_epoch(self.run_dir, epoch=epoch, model=full[0], config=self.config, optimizer=full[1],
                           state=state, reader_state=self.reader.state_dict(), metadata=meta, seed=self.opts.seed,
                           init=self.init_str)

    def resume(self) -> None:
        self.state, reader_state = distributed.load_resume(self.run_dir, self.model, self.optimizer, self.config)
        self.reader.load_state_dict(reader_state)
        self.patience.load_state_dict(self.state.patience)  # type: ignore[arg-type]
        self.wall_before = self.state.wall_seconds
        if self.main:
            self.metrics.truncate_to(self.state.step)  # the steps after the checkpoint are replayed
        self.result.resumed_from_epoch = self.state.epochs_completed
        self.result.init_population = recorded_init_population(self.run_dir)  # the --init load happened before

    def start(self) -> None:
        """Epoch 0: the step-0 evaluation, its gates, and the first checkpoint (from here on --resume works)."""
        val0 = self.eval()
        if not math.isfinite(val0):
            raise RunAborted(GATE_TRAIN_007, f"NaN/Inf guard fired: NUMERICAL_INSTABILITY at step 0: "
                             f"val_loss={val0} before any update",
                             fix="the initial weights are broken; check --init or the model initialisation")
        state, config = self.state, self.config
        state.val_loss_history.append(val0)
        state.train_loss_history.append(None)
        if self.report.init_spec is None:
            gates.check_initial_baseline(val0, config.vocab_size)
        gates.check_non_divergence(0, state.val_loss_history, regime=self.regime, vocab_size=config.vocab_size)
        self.patience.update(0, val0)
        if self.main:
            write_run_file(self.run_dir, self.opts, self.report, self.population, self.dist_info)
        self.checkpoint(0, {"train_loss": None, "val_loss": val0, "train_ppl": None, "val_ppl": safe_exp(val0),
                            "wall_seconds": 0.0, "tokens_seen": 0, "grad_norm_max": None, "lr": None})

    def epoch(self, epoch: int, progress: _Progress, step_hook: StepHook | None) -> str | None:
        """Train one epoch, then evaluate, gate and checkpoint it; the stop reason it reaches, if any."""
        opts, state = self.opts, self.state
        epoch_start = time.perf_counter()
        first, last = (epoch - 1) * opts.steps_per_epoch, min(epoch * opts.steps_per_epoch, opts.num_steps)
        epoch_losses: list[float] = []
        grad_norm_max = 0.0
        lr = None
        for step in range(first, last):
            loss, grad_norm, lr = self._step(step, epoch, progress)
            epoch_losses.append(loss)
            grad_norm_max = max(grad_norm_max, grad_norm)
            if step_hook is not None:
                step_hook(state.step)
        val = self.eval()
        self.dist_info["val_loss_by_rank"] = distributed.gather_floats(val)
        gates.check_finite_val(epoch, val)
        state.val_loss_history.append(val)
        gates.check_non_divergence(epoch, state.val_loss_history, regime=self.regime,
                                   vocab_size=self.config.vocab_size)
        recent = _mean_tail(epoch_losses, EVAL_TRAIN_WINDOW)
        if recent is not None:
            gates.check_eval_plausible(epoch, val, recent)
        train_loss = _mean_tail(epoch_losses, TRAIN_LOSS_WINDOW)
        state.train_loss_history.append(train_loss)
        state.epochs_completed = epoch
        self.patience.update(epoch, val)
        stop_reason: str | None = None
        if gates.converged(val, opts.target_val_loss, epoch, opts.min_epochs):
            stop_reason = "CONVERGED"
        elif self.patience.should_stop(epoch):
            stop_reason = "EARLY_STOP"
        state.stopped = stop_reason
        self.checkpoint(epoch, {
            "train_loss": train_loss, "val_loss": val, "train_ppl": safe_exp(train_loss),
            "val_ppl": safe_exp(val), "wall_seconds": time.perf_counter() - epoch_start,
            "tokens_seen": state.tokens_seen, "grad_norm_max": grad_norm_max, "lr": lr,
        })
        return stop_reason

    def _step(self, step: int, epoch: int, progress: _Progress) -> tuple[float, float, float]:
        """One optimizer step over ``grad_accum`` micro-batches: (loss, grad norm, lr)."""
        opts, state, device = self.opts, self.state, self.device
        t0 = time.perf_counter()
        micro = [self.reader.next_batch() for _ in range(opts.grad_accum)]
        micro = [(x.to(device, non_blocking=True), y.to(device, non_blocking=True)) for x, y in micro]
        lr = lr_at(step, lr_max=opts.lr, lr_min=opts.lr_min, warmup_steps=opts.warmup_steps,
                    total_steps=opts.num_steps)
        loss, grad_norm = train_step(self.step_model, self.optimizer, micro, step=step, lr=lr,
                                     precision=self.compute.precision)
        dt = max(time.perf_counter() - t0, 1e-9)
        tokens_per_step = opts.tokens_per_step
        tps = tokens_per_step / dt
        util = device_utilisation(self.report.device.name)
        gates.check_throughput(step, tps, util)
        state.step = step + 1
        state.tokens_seen += tokens_per_step
        if self.main:
            self.metrics.append({
                "step": step, "epoch": epoch, "train_loss": loss, "grad_norm": grad_norm, "lr": lr,
                "tokens_per_sec": tps, "gpu_util_pct": util, "tokens_seen": state.tokens_seen,
                "step_seconds": dt,
            })
        progress.update(f"loss {loss:.4f} lr {lr:.2e} {tps:,.0f} tok/s")
        return loss, grad_norm, lr

    def conclude(self, stop_reason: str | None) -> None:
        """The run's status and the one-line reason for it."""
        opts, result = self.opts, self.result
        final = self.state.val_loss_history[-1]
        if opts.num_steps == 0:
            result.status, result.detail = "FINISHED", "--num-steps 0: evaluated and checkpointed the step-0 model"
        elif stop_reason == "EARLY_STOP":
            result.status = "EARLY_STOP"
            result.detail = (f"no val_loss improvement for {self.patience.bad_epochs} epoch(s) (patience "
                             f"{opts.patience}); best {self.patience.best:.4f} at epoch {self.patience.best_epoch}")
        elif final <= opts.target_val_loss:
            result.status = "CONVERGED"
            result.detail = f"val_loss {final:.4f} <= target {opts.target_val_loss:.4f}"
        else:
            result.status = "FINISHED"
            result.detail = (f"all {opts.num_steps} steps ran; val_loss {final:.4f} did not reach target "
                             f"{opts.target_val_loss:.4f}")

    def interrupted(self) -> None:
        self.result.status, self.result.gate_id = "ABORTED", "INTERRUPTED"
        committed = _committed_epoch(self.run_dir)
        self.result.detail = f"interrupted at step {self.state.step}; " + (
            f"`--resume` continues from epoch {committed} (the last committed checkpoint)" if committed is not None
            else "no checkpoint was committed yet: start again")

    def finish(self) -> None:
        _finish(self.result, self.state, self.reader.cycles, self.wall_before, self.session_start, self.run_dir,
                self.opts, self.metrics)


def _committed_epoch(run_dir: Path) -> int | None:
    """The epoch ckpt/resume.json commits to (what --resume will continue from), if any."""
    from trainer.checkpoint.bounded_json import load_bounded
    from trainer.train.state import RESUME_NAME

    try:
        return int(load_bounded((run_dir / "ckpt" / RESUME_NAME).read_bytes())["epoch"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _finish(result: RunResult, state: LoopState, cycles: int, wall_before: float,
            session_start: float, run_dir: Path, opts: TrainOptions, metrics: MetricsLog) -> None:
    """Fill the result from the loop state, write result.json and loss.png."""
    from trainer.train.plot import plot_losses

    history = state.val_loss_history
    result.val_loss_history = list(history)
    result.train_loss_history = [v for v in state.train_loss_history if v is not None]
    result.initial_val_loss = state.initial_val_loss
    result.final_val_loss = history[-1] if history else None
    if history:
        best_epoch = min(range(len(history)), key=lambda i: history[i])
        result.best_val_loss, result.best_epoch = history[best_epoch], best_epoch
    result.epochs_completed = state.epochs_completed
    result.steps_completed = state.step
    result.tokens_seen = state.tokens_seen
    result.wall_seconds = wall_before + (time.perf_counter() - session_start)
    result.shard_cycles = cycles
    result.checkpoints = list(state.checkpoints)
    if not distributed.is_main():
        return  # rank 0 alone writes result.json and the plot
    write_result(result, run_dir)
    records = metrics.read()
    val_steps = [min(e * opts.steps_per_epoch, opts.num_steps) for e in range(len(history))]
    plot_losses(run_dir / "loss.png", train_steps=[int(r["step"]) + 1 for r in records],
                train_losses=[float(r["train_loss"]) for r in records], val_steps=val_steps,
                val_losses=list(history), title=f"apr pretrain {result.mode} ({result.status})",
                target=opts.target_val_loss)
