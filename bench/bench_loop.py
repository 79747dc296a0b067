"""Cost of the training loop's bookkeeping, side by side in one run.

Usage: python bench/bench_loop.py [--steps 60] [--repeats 3] [--model tiny] [--seq 128] [--batch 8]

Both arms train the same model on the same batches for ``--steps`` steps on the CPU:
  1. bare: ``train_step`` in a Python loop (forward, backward, clip, AdamW; nothing else);
  2. loop: ``run_training`` (the same steps plus per-step gates, train.jsonl, the progress object,
     step-0/epoch evaluation and checkpoints; one epoch, 2 held-out batches).
The median wall time of ``--repeats`` runs of each is reported with tokens/s and the ratio; the
loop arm's evaluation and checkpoint time is reported separately (it is not per-step overhead).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def _data(root: Path, vocab: int, tokens: int) -> tuple[Path, Path]:
    import json

    (root / "tok").mkdir(parents=True)
    (root / "tok" / "vocab.json").write_text(json.dumps({f"t{i}": i for i in range(vocab)}))
    (root / "shards").mkdir()
    rng = np.random.default_rng(0)
    rng.integers(0, vocab, tokens, dtype=np.uint32).astype("<u4").tofile(root / "shards" / "shard-00000.bin")
    return root / "shards", root / "tok"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()

    from trainer.data.reader import WindowReader
    from trainer.model import LlamaForCausalLM, make_optimizer
    from trainer.presets import get_preset
    from trainer.train.loop import run_training, train_step
    from trainer.train.options import TrainOptions
    from trainer.train.preflight import run_preflight

    config = get_preset(args.model)
    tokens_per_step = args.batch * args.seq
    with tempfile.TemporaryDirectory() as tmp:
        ds, tok = _data(Path(tmp), config.vocab_size, (args.steps + 4) * (args.seq + 1) * args.batch)
        bare_times, loop_times, loop_step_times = [], [], []
        for r in range(args.repeats + 1):  # the first round warms up and is discarded
            reader = WindowReader(ds, args.seq, args.batch, 0, 2)
            batches = [reader.next_batch() for _ in range(args.steps)]
            torch.manual_seed(0)
            model = LlamaForCausalLM(config)
            opt = make_optimizer(model, 1e-3, 0.01)
            t0 = time.perf_counter()
            for step, batch in enumerate(batches):
                train_step(model, opt, [batch], step=step, lr=1e-3)
            bare = time.perf_counter() - t0

            opts = TrainOptions(dataset=ds, tokenizer=tok, run_dir=Path(tmp) / f"run{r}", mode="from-scratch",
                                model=args.model, num_steps=args.steps, batch_size=args.batch,
                                seq_length=args.seq, steps_per_epoch=args.steps, seed=0, lr=1e-3,
                                warmup_steps=1, target_val_loss=0.01, device="cpu", val_batches=2,
                                min_epochs=1, progress=False)
            report = run_preflight(opts)
            t0 = time.perf_counter()
            result = run_training(report)
            total = time.perf_counter() - t0
            assert result.steps_completed == args.steps, result.detail
            import json

            steps = [json.loads(line)["step_seconds"] for line in (opts.run_dir / "train.jsonl").open()]
            if r:
                bare_times.append(bare)
                loop_times.append(total)
                loop_step_times.append(sum(steps))
    bare_m, loop_m, step_m = (statistics.median(x) for x in (bare_times, loop_times, loop_step_times))
    n_tokens = args.steps * tokens_per_step
    print(f"model {args.model}, {args.steps} steps of {args.batch}x{args.seq} tokens, torch threads "
          f"{torch.get_num_threads()}, median of {args.repeats}")
    print(f"bare train_step loop : {bare_m:8.3f} s  {n_tokens / bare_m:10.0f} tok/s")
    print(f"run_training (total) : {loop_m:8.3f} s  {n_tokens / loop_m:10.0f} tok/s  "
          f"ratio bare/loop {bare_m / loop_m:.3f}")
    print(f"  of which steps     : {step_m:8.3f} s  {n_tokens / step_m:10.0f} tok/s  "
          f"per-step overhead vs bare {(step_m - bare_m) / args.steps * 1000:+.2f} ms/step")
    print(f"  eval + checkpoints : {loop_m - step_m:8.3f} s (step-0 + 1 epoch evaluation, 2 checkpoints, plot)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
