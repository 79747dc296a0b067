"""``--synthetic``: a scripted-loss dry run of the CLI surface. Opt-in only (GATE-TRAIN-010).

No model, no data, no preflight beyond the numbers, and never a checkpoint.
It exists to exercise the reporting path quickly; everything it writes says
SYNTHETIC (status ``SYNTHETIC_<status>``, ``synthetic: true``, the plot title)
so its numbers can never pass for real compute (the seed's PMAT-105 lesson:
a default-on synthetic flag produced "val_loss = target x 1.8, decaying").

Script (ported from the seed): step loss ``max(start - decay*step, 1e-4)`` with
``start = max(2*target, 1.5)``, ``decay = max(0.01*target, 1e-4)``; val after
epoch e of E: ``target + (start_val - target) * max(1 - e/E, 0)`` with
``start_val = max(1.8*target, 3.0)``, so the last epoch lands on the target.
"""

from __future__ import annotations

import math
from pathlib import Path

from trainer.train.options import TrainOptions
from trainer.train.preflight import check_run_dir, check_run_numbers
from trainer.train.result import RunResult, write_result


def synthetic_losses(opts: TrainOptions) -> tuple[list[float], list[float]]:
    """(per-step train losses, val losses indexed by epoch with [0] = step 0)."""
    target = opts.target_val_loss
    start, decay = max(2 * target, 1.5), max(0.01 * target, 1e-4)
    steps = [max(start - decay * s, 1e-4) for s in range(opts.num_steps)]
    start_val = max(1.8 * target, 3.0)
    epochs = opts.num_epochs
    vals = [target + (start_val - target) * max(1 - e / epochs, 0.0) if epochs else start_val
            for e in range(epochs + 1)]
    return steps, vals


def run_synthetic(opts: TrainOptions) -> RunResult:
    """Produce and write the scripted result (result.json + loss.png, both labelled SYNTHETIC)."""
    from trainer.errors import GATE_PREFLIGHT_ARGS, PreflightError
    from trainer.train.plot import plot_losses

    check_run_numbers(opts)
    if opts.resume:
        raise PreflightError(GATE_PREFLIGHT_ARGS, "--synthetic cannot --resume: a synthetic run writes no "
                             "checkpoint and scripts its losses from step 0",
                             fix="drop --resume (or --synthetic to resume a real run)")
    run_dir = Path(opts.run_dir)
    check_run_dir(run_dir, resume=False)
    run_dir.mkdir(parents=True, exist_ok=True)
    steps, vals = synthetic_losses(opts)
    final = vals[-1]
    converged = final <= opts.target_val_loss and opts.num_steps > 0
    status = "SYNTHETIC_CONVERGED" if converged else "SYNTHETIC_FINISHED"
    result = RunResult(
        status=status,
        detail="SYNTHETIC scripted losses: no model, no data, no compute, no checkpoint",
        initial_val_loss=vals[0], final_val_loss=final, best_val_loss=min(vals),
        best_epoch=vals.index(min(vals)), val_loss_history=vals,
        train_loss_history=[steps[min(e * opts.steps_per_epoch, opts.num_steps) - 1] for e in
                            range(1, opts.num_epochs + 1)],
        target_val_loss=opts.target_val_loss, epochs_completed=opts.num_epochs, steps_completed=opts.num_steps,
        tokens_seen=0, wall_seconds=0.0, synthetic=True, init=str(opts.init) if opts.init else None,
        mode=opts.mode, device="none (synthetic)", model=None, vocab_size=opts.vocab_size,
        ln_vocab=math.log(opts.vocab_size) if opts.vocab_size else None, seed=opts.seed, run_dir=str(run_dir),
    )
    write_result(result, run_dir)
    plot_losses(run_dir / "loss.png", train_steps=list(range(1, len(steps) + 1)), train_losses=steps,
                val_steps=[min(e * opts.steps_per_epoch, opts.num_steps) for e in range(len(vals))],
                val_losses=vals, title="apr pretrain", target=opts.target_val_loss, synthetic=True)
    return result
