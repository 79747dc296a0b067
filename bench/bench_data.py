"""Data-stage throughput on the bundled stdlib corpus (train split), side by side in one run.

Measures, median of --repeats runs each:
  1. `train_bpe` wall time (vocab --vocab-size);
  2. `encode_corpus` (batch encoding, shards + manifest) tokens/s;
  3. the same documents encoded one `Tokenizer.encode` call at a time (the naive baseline), tokens/s;
  4. `WindowReader.next_batch` batches/s and tokens/s (seq 256, batch 16).

Usage: .venv/bin/python bench/bench_data.py [--vocab-size 8192] [--repeats 3] [--out bench/results/data.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

CPU: dict[str, float] = {}


def _median_time(fn, repeats: int, name: str = "") -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Median wall seconds of ``repeats`` calls; the median process CPU seconds (all threads) go to CPU[name]."""
    times, cpu, result = [], [], None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[name] = statistics.median(cpu)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/data.md"))
    args = parser.parse_args()

    from trainer.data.corpus import stdlib_sources
    from trainer.data.inputs import iter_documents
    from trainer.data.reader import WindowReader
    from trainer.data.shards import encode_corpus
    from trainer.data.tokenizer import load_tokenizer, train_bpe

    load_before = f"{os.getloadavg()[0]:.1f}"
    files = stdlib_sources("train")
    corpus_bytes = sum(f.stat().st_size for f in files)
    work = Path(tempfile.mkdtemp(prefix="bench-data-"))
    tok_dir = work / "tok"

    t_train, _ = _median_time(lambda: train_bpe(files, args.vocab_size, tok_dir), args.repeats, "train")

    runs = iter(range(10**6))

    def encode() -> dict:  # type: ignore[type-arg]
        return encode_corpus(tok_dir, files, work / f"ds{next(runs)}", 50_000_000, "after")

    t_batch, manifest = _median_time(encode, args.repeats, "encode")
    tokens = manifest["total_tokens"]  # type: ignore[index]

    tok = load_tokenizer(tok_dir)
    tok.encode_special_tokens = True

    def naive() -> int:
        n = 0
        for f in files:
            for doc in iter_documents(f):
                ids = tok.encode(doc, add_special_tokens=False).ids
                n += len(ids) + 1 if ids else 0  # EOS after each non-empty document
        return n

    t_naive, naive_tokens = _median_time(naive, args.repeats, "naive")
    assert naive_tokens == tokens, (naive_tokens, tokens)  # same work, same result

    reader = WindowReader(work / "ds0", 256, 16, seed=0, val_batches=4)
    n_batches = 2000

    def read() -> None:
        for _ in range(n_batches):
            reader.next_batch()

    t_read, _ = _median_time(read, args.repeats, "read")

    cmd = f".venv/bin/python bench/bench_data.py --vocab-size {args.vocab_size} --repeats {args.repeats}"
    lines = [
        "# Data stage throughput (stdlib corpus)",
        "",
        f"Command: `{cmd}`  ",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared with other jobs), "
        f"Python {platform.python_version()}, tokenizers {__import__('tokenizers').__version__}  ",
        f"Corpus: stdlib train split, {len(files)} files, {corpus_bytes / 1e6:.1f} MB, "
        f"{tokens:,} tokens at vocab {args.vocab_size} (EOS after each document)  ",
        f"Median of {args.repeats} runs each, all measured in the same process, one after the other.",
        "",
        f"Load average at start: {load_before}, at end: {os.getloadavg()[0]:.1f} "
        "(wall numbers shrink with free cores; CPU seconds are all threads of this process).",
        "",
        "| step | median wall | median CPU | wall throughput | per CPU-second |",
        "|---|---|---|---|---|",
        f"| train_bpe (vocab {args.vocab_size}) | {t_train:.2f} s | {CPU['train']:.2f} s | "
        f"{corpus_bytes / 1e6 / t_train:.1f} MB/s | {corpus_bytes / 1e6 / CPU['train']:.1f} MB/s |",
        f"| encode_corpus (batch encoding + shards + manifest) | {t_batch:.2f} s | {CPU['encode']:.2f} s | "
        f"{tokens / t_batch:,.0f} tokens/s | {tokens / CPU['encode']:,.0f} tokens/s |",
        f"| naive per-document `Tokenizer.encode` (encode only) | {t_naive:.2f} s | {CPU['naive']:.2f} s | "
        f"{tokens / t_naive:,.0f} tokens/s | {tokens / CPU['naive']:,.0f} tokens/s |",
        f"| WindowReader.next_batch (seq 256, batch 16) | {t_read / n_batches * 1e3:.3f} ms/batch | "
        f"{CPU['read'] / n_batches * 1e3:.3f} ms/batch | {n_batches * 16 * 256 / t_read:,.0f} tokens/s | "
        f"{n_batches * 16 * 256 / CPU['read']:,.0f} tokens/s |",
        "",
        f"Batch encoding vs naive: **{t_naive / t_batch:.2f}x** (encode_corpus also writes shards, hashes "
        "inputs and shards, and checks every id against the vocab).",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
